import Foundation

/// What the admin/metrics endpoint does with one request, decided as a value from its
/// method, path and `Authorization` header before anything is read or changed (the server
/// does the I/O). Routes: `GET|HEAD /metrics`, `GET /queues`, `GET /bans`,
/// `DELETE /bans/ADDRESS`; anything else is 404, another method on a known path 405.
///
/// Access (`AdminAccess`) comes first, for every path: a wrong token is refused even where
/// the path does not exist. Lifting a ban changes what the SIP edge lets in, so with a token
/// configured only a request that carries it may (reading stays as open as `/metrics`).
public enum AdminRoute: Equatable, Sendable {
    case metrics(headOnly: Bool)
    case queues(revealCallers: Bool)
    case listBans
    case liftBan(address: String)
    /// 401 with `WWW-Authenticate: Bearer realm="switchboard"` (RFC 6750 §3) and this line.
    case unauthorized(reason: String)
    case notFound
    /// 405 with this line and `Allow`.
    case methodNotAllowed(reason: String, allow: String)

    public static func route(method: String, path: String, authorization: String?, access: AdminAccess) -> AdminRoute {
        let authorized: Bool
        switch access.decide(authorization: authorization) {
        case .refuse(let reason): return .unauthorized(reason: reason)
        case .allow(let withToken): authorized = withToken
        }
        if path == "/queues", method == "GET" { return .queues(revealCallers: authorized) }
        if path == "/bans" || path.hasPrefix("/bans/") {
            if method != "GET", access.token != nil, !authorized {
                return .unauthorized(reason: "lifting a ban needs Authorization: Bearer <the token in admin-token-file>")
            }
            switch method {
            case "GET" where path == "/bans":
                return .listBans
            case "DELETE" where path.count > "/bans/".count:
                let raw = String(path.dropFirst("/bans/".count))
                return .liftBan(address: raw.removingPercentEncoding ?? raw)
            default:
                return .methodNotAllowed(reason: "GET /bans or DELETE /bans/ADDRESS", allow: "GET, DELETE")
            }
        }
        guard path == "/metrics" else { return .notFound }
        guard method == "GET" || method == "HEAD" else { return .methodNotAllowed(reason: "GET only", allow: "GET, HEAD") }
        return .metrics(headOnly: method == "HEAD")
    }

    /// The answers that need nothing from the SIP side.
    public var immediateReply: AdminReply? {
        switch self {
        case .unauthorized(let reason):
            .text(401, reason, headers: [("WWW-Authenticate", #"Bearer realm="switchboard""#)])
        case .notFound:
            .text(404, "not found: try /metrics, /queues or /bans")
        case .methodNotAllowed(let reason, let allow):
            .text(405, reason, headers: [("Allow", allow)])
        case .metrics, .queues, .listBans, .liftBan:
            nil
        }
    }
}

/// One answer of the admin endpoint: status, the headers it names, and the body;
/// `Content-Type` is text/plain unless named, `Content-Length` is added by the server.
public struct AdminReply: Equatable, Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A one-line text answer.
    public static func text(_ status: Int, _ line: String, headers: [(String, String)] = []) -> AdminReply {
        AdminReply(status: status, headers: headers, body: Array("\(line)\n".utf8))
    }

    public static func json(_ body: [UInt8]) -> AdminReply {
        AdminReply(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    public static let unavailable = AdminReply.text(503, "unavailable")

    /// The headers as sent: the named ones, then `Content-Type` when none was named.
    public var allHeaders: [(String, String)] {
        headers.contains { $0.0.lowercased() == "content-type" } ? headers : headers + [("Content-Type", "text/plain; charset=utf-8")]
    }

    public static func == (a: AdminReply, b: AdminReply) -> Bool {
        a.status == b.status && a.body == b.body
            && a.allHeaders.map { "\($0.0): \($0.1)" } == b.allHeaders.map { "\($0.0): \($0.1)" }
    }
}
