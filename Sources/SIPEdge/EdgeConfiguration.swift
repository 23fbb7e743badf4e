/// The edge's limits (config `security:`). Defaults follow Kamailio's pike + permissions
/// recipe: 16 requests in 2 s from one untrusted address bans it for 300 s.
public struct EdgeConfiguration: Sendable, Equatable {
    /// What a stranger (an untrusted source, outside our dialogs) gets.
    public enum Untrusted: String, Sendable, Equatable {
        /// One stateless 403 Forbidden, the same for every method and number.
        case reject
        /// Nothing at all (a scanner cannot tell a SIP server is here).
        case drop
    }

    /// A token bucket: `requests` in any `window`, refilled continuously.
    public struct Rate: Sendable, Equatable {
        public var requests: Int
        public var window: Duration
        public init(requests: Int, window: Duration) {
            self.requests = requests
            self.window = window
        }
    }

    /// `security.untrusted`. Default reject.
    public var untrusted: Untrusted = .reject
    /// `security.flood.requests` / `.window`: requests from one untrusted address. Default 16 / 2 s.
    public var flood = Rate(requests: 16, window: .seconds(2))
    /// `security.flood.new-calls`: out-of-dialog INVITEs from one untrusted address in the same
    /// window (a scanner's signature; such an INVITE is always refused). Default 4.
    public var floodNewCalls = 4
    /// `security.flood.ban`: how long an address over either limit is dropped. Default 300 s.
    public var ban: Duration = .seconds(300)
    /// `security.trusted-flood`: requests from one trusted address; the excess is dropped (never
    /// banned: a carrier's burst must not cut its calls for minutes). New calls from trusted
    /// sources are capped by `calls.max-per-second-per-source` (503 + Retry-After). Default 10000 / 1 s.
    public var trustedFlood = Rate(requests: 10_000, window: .seconds(1))
    /// `security.max-sources`: addresses tracked at once (buckets and bans). A full table evicts
    /// its oldest unbanned entry, so strangers never cost unbounded memory. Default 16384.
    public var maxSources = 16_384

    public init() {}
}
