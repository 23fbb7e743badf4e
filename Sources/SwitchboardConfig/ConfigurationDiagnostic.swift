/// One problem found in a configuration or dialplan file, printed as `path:line:col: message`
/// like compilers and `nginx -t`, so editors can jump to it.
public struct ConfigurationDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(path):\(line):\(column): error: \(message)" }
}

/// All the problems of one load: nothing is applied when there is any.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigurationDiagnostic]
    public init(_ diagnostics: [ConfigurationDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
