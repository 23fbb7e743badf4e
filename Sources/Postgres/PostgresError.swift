/// An error from PostgreSQL or from libpq itself, with no C types: the SQLSTATE (five
/// characters, e.g. "23505", nil for client-side failures such as a refused connection) and
/// the server's or libpq's message.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Could not connect, or the connection broke: retry on a new connection.
        case connection
        /// The server rejected a statement (see `sqlState`).
        case query
        /// COPY protocol misuse or an unexpected result status.
        case protocolViolation
    }

    public let kind: Kind
    public let sqlState: String?
    public let message: String

    public init(kind: Kind, sqlState: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        if let sqlState { return "PostgreSQL error \(sqlState): \(message)" }
        return "PostgreSQL \(kind): \(message)"
    }
}
