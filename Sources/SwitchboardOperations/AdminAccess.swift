import SwitchboardConfig

/// Who may use the admin/metrics endpoint, decided per request from its `Authorization`
/// header (a pure value: the HTTP handler does the I/O).
///
/// - No token configured (only allowed on loopback): every request is served, without the
///   callers' numbers.
/// - A token configured: a request that offers a wrong token is refused (a typo should fail
///   loudly, not silently see less); one with the right token sees everything; one with none
///   is served only while the endpoint listens on loopback, never on another address.
public struct AdminAccess: Sendable {
    public enum Decision: Equatable {
        case allow(withToken: Bool)
        case refuse(reason: String)
    }

    public let token: AdminToken?
    public let listensOnLoopback: Bool

    public init(token: AdminToken?, listensOnLoopback: Bool) {
        self.token = token
        self.listensOnLoopback = listensOnLoopback
    }

    public func decide(authorization: String?) -> Decision {
        guard let token else {
            // The configuration refuses a non-loopback address without a token; a second
            // guard here keeps that true even if the daemon is ever wired differently.
            return listensOnLoopback ? .allow(withToken: false) : .refuse(reason: "admin-token-file is not configured")
        }
        if authorization != nil {
            return token.matches(authorization: authorization)
                ? .allow(withToken: true) : .refuse(reason: "the bearer token does not match admin-token-file")
        }
        return listensOnLoopback ? .allow(withToken: false)
            : .refuse(reason: "this endpoint needs Authorization: Bearer <the token in admin-token-file>")
    }
}
