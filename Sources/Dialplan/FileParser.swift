
/// Walks one file's `Yams.Node` tree and collects diagnostics with the
/// node marks (1-based line/column). Every check reports and continues, so
/// an admin sees every problem in one run instead of fixing them one by one.
final class FileParser {
    let path: String
    /// The dialplan directory, against which prompt paths are resolved.
    let directory: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Files and directories the checks read, with their stat before reading: a reload
    /// parses the file again when one of them changed, as a full load would check it anew.
    private(set) var dependencies: [(path: String, signature: FileSignature?)] = []

    init(path: String, directory: String) {
        self.path = path
        self.directory = directory
    }

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(path: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Records that a check is about to read `path` (see `dependencies`).
    func depend(on path: String) {
        dependencies.append((path, FileSignature(path: path)))
    }

    func error(_ node: Node?, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }

    func warning(_ node: Node?, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location(node), message))
    }

    func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location, message))
    }

    /// The entries of a mapping, checking for unknown and missing keys.
    /// Returns nil (after reporting) when `node` is not a mapping.
    func mapping(_ node: Node, _ what: String, allowed: [String], required: [String] = []) -> Entries? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var entries = Entries()
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error(key, "\(what) keys must be plain names")
                continue
            }
            guard allowed.contains(name) else {
                error(key, "unknown key '\(name)' in \(what)" + EditDistance.hint(for: name, among: allowed))
                continue
            }
            entries.items.append((name, key, value))
        }
        for name in required where entries[name] == nil {
            error(node, "\(what) is missing '\(name)'")
        }
        entries.node = node
        return entries
    }

    /// A scalar's text, reporting when it is a list or mapping.
    func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error(node, "\(what) must be a single value")
            return nil
        }
        return scalar.string
    }

    /// A list of scalars; a single scalar counts as a one-element list where
    /// `allowSingle` (for `days: mon-fri`).
    func strings(_ node: Node, _ what: String, allowSingle: Bool = false) -> [(String, Node)]? {
        switch node {
        case .sequence(let sequence):
            var result: [(String, Node)] = []
            for item in sequence {
                if let text = string(item, "each entry of \(what)") { result.append((text, item)) }
            }
            return result
        case .scalar(let scalar) where allowSingle:
            return [(scalar.string, node)]
        default:
            error(node, "\(what) must be a list")
            return nil
        }
    }

    /// A duration (`20s`, `5m`, `1h`) in seconds.
    func duration(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let seconds = PlanDuration.seconds(text) else {
            error(node, "bad duration '\(text)' for \(what) (expected e.g. 20s, 5m, 1h)")
            return nil
        }
        return seconds
    }

    /// A positive integer.
    func positiveInt(_ node: Node, _ what: String, max: Int = 100) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), value >= 1, value <= max else {
            error(node, "\(what) must be a whole number from 1 to \(max), not '\(text)'")
            return nil
        }
        return value
    }

    /// A prompt file: must exist and be an 8 kHz mono WAV the media layer can play.
    /// Returns the resolved absolute path.
    func prompt(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        let resolved = text.hasPrefix("/") ? text : directory + "/" + text
        depend(on: resolved)
        if let problem = WAVFormat.problem(atPath: resolved) {
            error(node, "\(what) '\(text)': \(problem)")
            return nil
        }
        return resolved
    }
}

/// The checked entries of one mapping, in file order.
struct Entries {
    var items: [(name: String, key: Node, value: Node)] = []
    var node: Node = .scalar(.init(""))

    subscript(_ name: String) -> Node? { items.first { $0.name == name }?.value }
    func key(_ name: String) -> Node? { items.first { $0.name == name }?.key }
}
