import Dialplan
import Foundation
import SwitchboardConfig

/// `switchboard web`'s own configuration file (`/etc/switchboard/web.yaml`). Pools and their
/// numbers stay in the dialplans (`pools:` of each account file); this file says who may ask
/// for them: per account, the snippet's public key and the site origins allowed by CORS.
public struct WebConfiguration: Sendable {
    /// Where the HTTP listener binds. Default 127.0.0.1:8088 (put a TLS proxy in front).
    public var host = "127.0.0.1"
    public var port = 8088
    /// PostgreSQL connection string (the same database as the daemons').
    public var database: String?
    /// The dialplan directory (pools are read from it).
    public var dialplans: String?
    /// Bearer token for the admin API (`/v1/admin/…`), read from `admin-token-file`.
    public var adminToken: AdminToken?
    public var sessions = SessionPolicy()
    public var rateLimit = RateLimit()
    /// Database connections (each on its own thread). Default 4.
    public var databaseConnections = 4
    /// Proxies (CIDR) whose `X-Forwarded-For` is believed: behind a TLS proxy every request
    /// comes from the proxy's address, so the rate limit keys on the client the proxy names.
    /// Default none (the peer address is the client).
    public var trustedProxies: [CIDR] = []
    /// Seconds between checks for pools above 75 % leased (logged as warnings). Default 60.
    public var poolCheckInterval = 60
    /// Account name → its web settings.
    public var accounts: [String: WebAccount] = [:]
    /// Retries and pacing of the post-call webhook worker (`webhooks:`).
    public var webhooks = WebhookPolicy()

    public init() {}

    /// Per client address: a bucket of `burst` requests refilled at `perSecond`.
    public struct RateLimit: Sendable, Equatable {
        public var burst: Double = 30
        public var perSecond: Double = 1
        public init(burst: Double = 30, perSecond: Double = 1) { self.burst = burst; self.perSecond = perSecond }
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left are
    /// whatever the client chose to send, so they are never believed).
    public func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer, trustedProxies.contains(where: { $0.contains(peer) }), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !trustedProxies.contains(where: { $0.contains(hop) }) { return hop }
        return hops.first ?? peer
    }

    /// The account whose public key this is.
    public func account(publicKey: String) -> WebAccount? {
        accounts.values.first { $0.publicKey == publicKey }
    }
}

/// One account's web settings.
public struct WebAccount: Sendable, Equatable {
    public var name: String
    /// Public by design (it is in every page's HTML): it names the account, it grants nothing
    /// beyond asking for a number from one of its pools, from one of its origins.
    public var publicKey: String
    /// Allowed `Origin`s (scheme://host[:port]), compared exactly after lower-casing.
    public var origins: [String]
    /// Post-call webhooks (none: the account gets no events).
    public var webhooks: AccountWebhooks?

    public init(name: String, publicKey: String, origins: [String], webhooks: AccountWebhooks? = nil) {
        self.name = name
        self.publicKey = publicKey
        self.origins = origins.map { $0.lowercased() }
        self.webhooks = webhooks
    }

    public func allows(origin: String?) -> Bool {
        guard let origin else { return false }
        return origins.contains(origin.lowercased())
    }
}

/// How long a session holds its number.
public struct SessionPolicy: Sendable, Equatable {
    /// Seconds after the last heartbeat when a lease expires. Default 30 min, as call
    /// tracking vendors do (a visitor reading the page, then calling).
    public var idleTimeout: Int = 1800
    /// Seconds after expiry during which a call is still attributed to the session (the
    /// visitor dialled just as the page was closed). Default 120.
    public var attributionGrace: Int = 120

    public init(idleTimeout: Int = 1800, attributionGrace: Int = 120) {
        self.idleTimeout = idleTimeout
        self.attributionGrace = attributionGrace
    }

    /// How often the snippet heartbeats: a third of the idle time, at most 5 min, at least 1 s,
    /// so two lost heartbeats do not expire a visible page.
    public var heartbeatInterval: Int { max(1, min(300, idleTimeout / 3)) }
}
