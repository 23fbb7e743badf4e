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
        let specs = parseAll(fileNames.map { directory + "/" + $0 }, directory: directory, into: &diagnostics)
        var compiler = DialplanCompiler(specs: specs)
        let table = compiler.compile(build: !diagnostics.hasErrors)
        diagnostics += compiler.diagnostics
        let sorted = diagnostics.sortedByLocation()
        return Result(table: sorted.hasErrors ? nil : table, diagnostics: sorted)
    }

    /// Parses files, on all cores when there are many (10,000 account files
    /// take seconds on one core); results keep the sorted file order.
    private static func parseAll(_ paths: [String], directory: String, into diagnostics: inout [Diagnostic]) -> [AccountSpec] {
        let results = UnsafeResults(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: min(paths.count, ProcessInfo.processInfo.activeProcessorCount * 4)) { worker in
            let workers = min(paths.count, ProcessInfo.processInfo.activeProcessorCount * 4)
            var index = worker
            while index < paths.count {
                results.set(index, parseFile(paths[index], directory: directory))
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
        let file = FileParser(path: path, directory: directory)
        // An empty file is answered before reading it: Foundation's `contents(atPath:)` leaks
        // its 4 KB read buffer on a zero-length file (LeakSanitizer, found by bench/fuzz).
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber, size.intValue == 0 {
            return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [Diagnostic(path: path, line: 0, column: 0, severity: .error, message: "cannot read file")])
        }
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
