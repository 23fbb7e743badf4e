/// One problem found while loading dialplans, printed like a compiler
/// (`path:line:col: severity: message`) so editors can jump to it.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Comparable {
        case warning, error
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
    }

    /// The file path as given to the loader (directory + file name).
    public var path: String
    /// 1-based line and column; 0 when the problem concerns the whole file.
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(path: String, line: Int, column: Int, severity: Severity, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.init(path: location.path, line: location.line, column: location.column, severity: severity, message: message)
    }

    public var description: String { "\(path):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// Where something was written: used for diagnostics that name two places.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }

    public var description: String { "\(path):\(line):\(column)" }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (warnings never block a load).
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Stable order for printing: by file, then position.
    public func sortedByLocation() -> [Diagnostic] {
        sorted { ($0.path, $0.line, $0.column, $0.message) < ($1.path, $1.line, $1.column, $1.message) }
    }
}
