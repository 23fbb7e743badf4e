import Foundation
import Yams

/// Loads every `*.yaml` file of a dialplan directory, validates all of them
/// and compiles a `DialplanTable` — or returns every problem found, never a
/// half-loaded table. `switchboard check` and the daemon run this same code.
public enum DialplanLoader {
    /// The outcome of a load: a table only when there is no error.
    public struct Result: Sendable {
        /// The compiled table; nil when `diagnostics` contains an error.
        public let table: DialplanTable?
        /// Every error and warning in every file, sorted by location.
        public let diagnostics: [Diagnostic]
    }

    /// Loads and compiles `directory`. Never throws: unreadable directories
    /// and files are diagnostics too.
    public static func load(directory: String) -> Result {
        let directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }.sorted()
        } catch {
            let diagnostic = Diagnostic(path: directory, line: 0, column: 0, severity: .error,
                                        message: "cannot read dialplan directory: \(error.localizedDescription)")
            return Result(table: nil, diagnostics: [diagnostic])
        }
        var diagnostics: [Diagnostic] = []
        if fileNames.isEmpty {
            diagnostics.append(Diagnostic(path: directory, line: 0, column: 0, severity: .warning, message: "no *.yaml dialplan files"))
        }
        let paths = fileNames.map { directory + "/" + $0 }
        let specs = parseAll(paths.count, into: &diagnostics) { parseFile(paths[$0], directory: directory) }
        return compile(specs, diagnostics)
    }

    /// One dialplan file's contents, for `load(files:directory:)`.
    public struct Source: Sendable {
        /// The name diagnostics give (as `load(directory:)` gives directory + file name).
        public var path: String
        public var contents: [UInt8]
        public init(path: String, contents: [UInt8]) { self.path = path; self.contents = contents }
    }

    /// The same load over texts already in memory, in the order given: the same parse,
    /// checks and diagnostics as `load(directory:)` on files with these contents, with no
    /// dialplan file read (the fuzz target, tests). Prompt and sound paths a plan names are
    /// still resolved, and their WAV files checked, against `directory`.
    public static func load(files: [Source], directory: String) -> Result {
        var diagnostics: [Diagnostic] = []
        if files.isEmpty {
            diagnostics.append(Diagnostic(path: directory, line: 0, column: 0, severity: .warning, message: "no *.yaml dialplan files"))
        }
        let specs = parseAll(files.count, into: &diagnostics) {
            parseContents(Data(files[$0].contents), path: files[$0].path, directory: directory)
        }
        return compile(specs, diagnostics)
    }

    private static func compile(_ specs: [AccountSpec], _ parsed: [Diagnostic]) -> Result {
        var diagnostics = parsed
        var compiler = DialplanCompiler(specs: specs)
        let table = compiler.compile(build: !diagnostics.hasErrors)
        diagnostics += compiler.diagnostics
        let sorted = diagnostics.sortedByLocation()
        return Result(table: sorted.hasErrors ? nil : table, diagnostics: sorted)
    }

    /// Parses `count` files (`parse(i)` parses the i-th), on all cores when there are many
    /// (10,000 account files take seconds on one core); results keep the order of `i`.
    private static func parseAll(_ count: Int, into diagnostics: inout [Diagnostic],
                                 _ parse: @Sendable (Int) -> (AccountSpec?, [Diagnostic])) -> [AccountSpec] {
        let results = UnsafeResults(count: count)
        let workers = min(count, ProcessInfo.processInfo.activeProcessorCount * 4)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                results.set(index, parse(index))
                index += workers
            }
        }
        var specs: [AccountSpec] = []
        for (spec, fileDiagnostics) in results.values {
            diagnostics += fileDiagnostics
            if let spec { specs.append(spec) }
        }
        return specs
    }

    /// Parses one file into an account spec and its diagnostics.
    static func parseFile(_ path: String, directory: String) -> (AccountSpec?, [Diagnostic]) {
        // An empty file is answered before reading it: Foundation's `contents(atPath:)` leaks
        // its 4 KB read buffer on a zero-length file (LeakSanitizer, found by bench/fuzz).
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber, size.intValue == 0 {
            return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [Diagnostic(path: path, line: 0, column: 0, severity: .error, message: "cannot read file")])
        }
        return parseContents(data, path: path, directory: directory)
    }

    /// Parses one file's contents (read from `path`, or handed over in memory).
    static func parseContents(_ data: Data, path: String, directory: String) -> (AccountSpec?, [Diagnostic]) {
        if data.isEmpty {
            return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")])
        }
        let file = FileParser(path: path, directory: directory)
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [Diagnostic(path: path, line: 0, column: 0, severity: .error, message: "file is not UTF-8")])
        }
        let root: Node
        do {
            // The basic resolver tags every scalar as a string: the parser reads
            // numbers and durations itself, and the default resolver's regexes
            // (int, float, bool, timestamp per scalar) were a third of load time.
            guard let node = try Yams.compose(yaml: text, .basic) else {
                return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")])
            }
            root = node
        } catch let error as YamlError {
            return (nil, YAMLErrorDiagnostics.diagnostics(for: error, path: path, text: text))
        } catch {
            return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "YAML: \(error)")])
        }
        var parser = AccountParser(file: file)
        var spec = parser.parse(root)
        spec?.hasErrors = file.diagnostics.hasErrors
        return (spec, file.diagnostics)
    }
}

/// Per-index result slots written by concurrent workers, each index by exactly one.
private final class UnsafeResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [(AccountSpec?, [Diagnostic])]
    init(count: Int) { values = Array(repeating: (nil, []), count: count) }
    func set(_ index: Int, _ value: (AccountSpec?, [Diagnostic])) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
