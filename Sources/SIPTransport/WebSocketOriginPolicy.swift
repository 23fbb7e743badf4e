import NIOHTTP1

/// The HTTP `Origin` check of a WebSocket upgrade (RFC 6455 §4.2.2, §10.2; RFC 7118 §6): a
/// browser always says which page opened the connection, so a page of another site cannot
/// register or call through a user's browser unless its Origin is listed. Softphones that
/// are not browsers send no Origin and are let in by default (they authenticate with
/// digest like any phone).
public struct WebSocketOriginPolicy: Sendable, Equatable {
    /// Lower-cased `scheme://host[:port]` values that may connect. Default none.
    public var allowed: Set<String>
    /// Whether an upgrade without `Origin` is accepted. Default true.
    public var allowMissing: Bool

    public init(allowed: [String] = [], allowMissing: Bool = true) {
        self.allowed = Set(allowed.map(Self.normalised))
        self.allowMissing = allowMissing
    }

    /// Whether the upgrade request with `headers` may proceed. Several Origin values, or the
    /// opaque `null` Origin (sandboxed pages, RFC 6454 §7.3), are never in the list.
    public func admits(_ headers: HTTPHeaders) -> Bool {
        let origins = headers["origin"]
        if origins.isEmpty { return allowMissing }
        guard origins.count == 1 else { return false }
        return allowed.contains(Self.normalised(origins[0]))
    }

    /// Lower case, no surrounding blanks, and a default port written out dropped (the same
    /// origin, RFC 6454 §4 step 7).
    static func normalised(_ value: String) -> String {
        var origin = String(value.lowercased().drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        if origin.hasPrefix("https://"), origin.hasSuffix(":443") { origin.removeLast(4) }
        if origin.hasPrefix("http://"), origin.hasSuffix(":80") { origin.removeLast(3) }
        return origin
    }
}
