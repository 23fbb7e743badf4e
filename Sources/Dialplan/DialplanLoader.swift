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
    /// and files are diagnostics too. (A full load: `DialplanDirectory`'s first reload.)
    public static func load(directory: String) -> Result {
        DialplanDirectory(directory: directory).reload()
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
        // The index knows files by name: a name given twice is told apart by its position.
        var seen = Set<String>()
        let names = files.map { seen.insert($0.path).inserted ? $0.path : "\($0.path)\u{0}\(UUID().uuidString)" }
        let parsed = parseAll(files.count) { index in
            parse(files[index].contents, name: names[index], path: files[index].path, directory: directory,
                  signature: nil, readAt: .now)
        }
        let index = DialplanIndex()
        index.reserve(parsed.reduce(0) { $0 + ($1.spec?.numbers.count ?? 0) })
        index.apply(order: names, changed: parsed)
        return index.result(extra: diagnostics)
    }

    /// Runs `body(i)` for `i` in `0..<count`, on all cores when there are many (10,000
    /// account files take seconds on one core); results keep the order of `i`.
    static func parseAll<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        // One file (a reload of one changed file, `load(files:)` of one text) runs here: asking
        // for the processor count reads cgroup files, which cost more than a small file's parse.
        if count <= 1 { return (0..<count).map { body($0) } }
        let results = UnsafeResults<T>(count: count)
        let workers = min(count, ProcessInfo.processInfo.activeProcessorCount * 4)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                results.set(index, body(index))
                index += workers
            }
        }
        return results.values.map { $0! }
    }

    /// A file that yields diagnostics only (empty, unreadable).
    static func failed(name: String, _ diagnostic: Diagnostic, readAt: timespec) -> DialplanFile {
        DialplanFile(path: name, signature: nil, readAt: readAt, contentHash: nil, spec: nil, diagnostics: [diagnostic],
                     dependencies: [], day: nil)
    }

    /// Parses one file's contents (read from `path`, or handed over in memory) with its
    /// plan-graph checks. `name` is the index's name for it (the path, unless in memory).
    static func parse(_ bytes: [UInt8], name: String, path: String, directory: String,
                      signature: FileSignature?, readAt: timespec) -> DialplanFile {
        let hash = FileRead.hash(bytes)
        let (spec, diagnostics, dependencies) = parseContents(bytes, path: path, directory: directory)
        let graph = spec.map(DialplanCompiler.checkGraph) ?? []
        return DialplanFile(path: name, signature: signature, readAt: readAt, contentHash: hash, spec: spec,
                            diagnostics: diagnostics + graph, dependencies: dependencies,
                            day: spec?.usesToday == true ? Porting.today() : nil)
    }

    /// Parses one file's contents into an account spec, its diagnostics and the files its
    /// checks read.
    static func parseContents(_ bytes: [UInt8], path: String, directory: String)
        -> (AccountSpec?, [Diagnostic], [(path: String, signature: FileSignature?)]) {
        if bytes.isEmpty {
            return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")], [])
        }
        let file = FileParser(path: path, directory: directory)
        // Foundation's decoding, as before (its handling of a byte-order mark included).
        guard let text = String(data: Data(bytes), encoding: .utf8) else {
            return (nil, [Diagnostic(path: path, line: 0, column: 0, severity: .error, message: "file is not UTF-8")], [])
        }
        let root: Node
        if let plain = PlainYAML.parse(bytes) {
            root = plain
        } else {
            switch composeWithYams(text) {
            case .success(let node?): root = node.keepingMarks(inside: text)
            case .success(nil):
                return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty")], [])
            case .failure(let error as YamlError):
                return (nil, YAMLErrorDiagnostics.diagnostics(for: error, path: path, text: text), [])
            case .failure(let error):
                return (nil, [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "YAML: \(error)")], [])
            }
        }
        var parser = AccountParser(file: file)
        var spec = parser.parse(root)
        spec?.hasErrors = file.diagnostics.hasErrors
        return (spec, file.diagnostics, file.dependencies)
    }
}

extension DialplanLoader {
    /// Yams' tree of `text` (nil for an empty document), for what `PlainYAML` declines.
    static func composeWithYams(_ text: String) -> Swift.Result<Node?, any Error> {
        // The basic resolver tags every scalar as a string: the parser reads
        // numbers and durations itself, and the default resolver's regexes
        // (int, float, bool, timestamp per scalar) were a third of load time.
        // UTF-8 named here: Yams' default encoding is a computed property that copies the
        // whole process environment (to look for YAMS_DEFAULT_ENCODING) on every parse, a
        // sixth of a small file's parse in the fuzzer's profile. UTF-8 is what it answers on
        // Linux (native Swift strings) when that variable is not set, and what we read.
        Swift.Result { try Yams.compose(yaml: text, .basic, .default, .utf8).map(Node.init) }
    }
}

/// Per-index result slots written by concurrent workers, each index by exactly one.
private final class UnsafeResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [T?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: T) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
