import Foundation
import Yams

/// The daemon's configuration file (`/etc/switchboard/switchboard.yaml`, `--config`).
///
/// Every field has a documented default so a minimal file (or none) runs a loopback
/// development daemon. `switchboard check` and `switchboardd` load it through the same
/// `load(path:)`, so what check accepts is exactly what the daemon runs.
public struct SwitchboardConfiguration: Sendable, Equatable {
    public struct Listen: Sendable, Equatable, CustomStringConvertible {
        public var transport: String   // "udp", "tcp", "tls", "ws" or "wss"
        public var host: String        // IP literal; IPv6 without brackets
        public var port: Int
        public var description: String { "\(transport):\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    public struct Limits: Sendable, Equatable {
        /// Largest SIP message accepted on any transport (bytes). Default 65536.
        public var maxMessageSize = 65_536
        /// A TCP peer that starts a message and stalls this long is disconnected. Default 10 s.
        public var tcpStallTimeoutSeconds = 10.0
        /// A TCP connection with no traffic at all this long is closed. Default 600 s.
        public var tcpIdleTimeoutSeconds = 600.0
        /// Most inbound TCP connections kept at once; further ones are refused. Default 4096.
        /// Our own outbound connections are not counted here (`maxTCPOutboundConnections`).
        public var maxTCPConnections = 4096
        /// Most inbound TCP connections from one source address. Default 128 (an office of
        /// TCP phones behind one NAT address fits; one address holds at most 1/32 of 4096).
        public var maxTCPConnectionsPerSource = 128
        /// An inbound TCP connection that has carried no well-formed SIP message this long
        /// after it opened is closed; after the first one, `tcpIdleTimeoutSeconds`. Default 5 s.
        public var tcpFirstRequestTimeoutSeconds = 5.0
        /// Most TCP connections we open ourselves (targets, trunks). Default 1024.
        public var maxTCPOutboundConnections = 1024
        public init() {}
    }

    public struct Timers: Sendable, Equatable {
        /// RFC 3261 §17.1.1.1 T1, T2 and T4 in milliseconds.
        public var t1 = 500, t2 = 4000, t4 = 5000
        public init() {}
    }

    /// Call admission and lifetime limits (overload and fraud protection).
    public struct Calls: Sendable, Equatable {
        /// Calls in progress on this node; over it new INVITEs get 503. Default 20000.
        public var maxConcurrent = 20_000
        /// Calls in progress to one tracking number. Default 200.
        public var maxPerNumber = 200
        /// New calls per second from one source address. Default 500.
        public var maxPerSecondPerSource = 500
        /// A bridged call is ended with BYE both ways after this long. Default 4 h.
        public var maxDurationSeconds = 4.0 * 3600
        /// Retry-After on 503. Default 5 s.
        public var retryAfterSeconds = 5
        public init() {}
    }

    /// An outbound carrier gateway for `tel:` targets.
    public struct Trunk: Sendable, Equatable {
        public var name: String
        public var host: String
        public var port: Int = 5060
        public var transport: String = "udp"
        /// E.164 prefixes routed through it; empty: every number.
        public var prefixes: [String] = []
        public var stripPlus = false
        public var dialPrefix = ""
        /// diversion (RFC 5806), history-info (RFC 7044) or none.
        public var forwarding = "diversion"
        /// `tls-server-name:` with `transport: tls`, the name sent in SNI and checked in the
        /// trunk's certificate (RFC 5922 §7.2). Default none: the certificate must name the
        /// trunk's IP address (an IP SAN), and no SNI is sent (RFC 6066 §3: names only).
        public var tlsServerName: String?
    }

    /// `websocket:` who may open SIP over WebSocket connections (RFC 7118 §6, RFC 6455 §10.2).
    public struct WebSocket: Sendable, Equatable {
        /// `allowed-origins:` the HTTP `Origin`s (scheme://host[:port], compared without case)
        /// whose pages may connect; an upgrade from any other Origin gets 403. Default none.
        public var allowedOrigins: [String] = []
        /// `allow-missing-origin:` whether an upgrade without `Origin` (a desktop softphone,
        /// not a browser: browsers always send one) is accepted. Default true.
        public var allowMissingOrigin = true
        public init() {}
    }

    /// Listen sockets. Default: UDP and TCP on 127.0.0.1:5060.
    public var listen: [Listen]
    /// Networks allowed to start calls (carriers' SBCs). Default: loopback only.
    public var trustedNetworks: [CIDR]
    /// Directory of account dialplans (`*.yaml`). Relative paths are resolved from the
    /// directory holding the config file.
    public var dialplanDirectory: String
    /// trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: String
    /// Sent in `User-Agent`/`Server` only when set: no version banner by default.
    public var serverHeader: String?
    /// Where the daemon writes its pid (for `switchboard reload`).
    public var pidFile: String?
    public var limits: Limits
    public var timers: Timers
    public var calls: Calls
    public var trunks: [Trunk]
    /// Address put in our Via and Contact; default: the first listen address.
    public var advertisedAddress: String?
    /// Region (ISO code) for national-format numbers from carriers; default none.
    public var defaultRegion: String?
    /// Directory of the call-leg journal (design.md "Call legs and durability"): every leg
    /// event is written here before it counts as recorded. nil: legs are only logged.
    public var journalDirectory: String?
    /// PostgreSQL connection string (libpq URL or conninfo) the leg writer copies the journal
    /// into; nil: the journal keeps the legs until a database is configured.
    public var database: String?
    /// Names this node's legs so a restart closes only its own interrupted legs; default host name.
    public var nodeID: String?
    /// How often the accounts whose paid access ended are re-read from the database. Default 30 s.
    public var accessRefreshSeconds: Double
    /// `metrics:` address of the Prometheus endpoint; nil (the default) serves none.
    public var metrics: MetricsEndpoint?
    /// `admin-token-file:` the bearer token the admin/metrics endpoint asks for. Required when
    /// `metrics:` is not a loopback address; without it, caller numbers in `/queues` stay masked.
    public var adminTokenFile: String?
    /// The token read from `adminTokenFile` when the configuration was loaded.
    public var adminToken: AdminToken?
    /// `drain-grace:` on SIGTERM, how long calls in progress may go on before the daemon
    /// hangs them up. Default 30 s.
    public var drainGraceSeconds: Double
    /// RTP for IVR and queue calls (see `Media`).
    public var media: Media
    /// `sip:` SIP event loops (see `SIP`).
    public var sip: SIP
    /// `dns-server:` name server for RFC 3263 SRV lookups; nil (the default): the first
    /// `nameserver` of /etc/resolv.conf.
    public var dnsServer: DNSServer?
    /// `security:` strangers, floods and bans (see `Security`).
    public var security: Security
    /// `registrar:` agents' registrations and digest authentication (see `Registrar`).
    public var registrar: Registrar
    /// `tls:` certificate and key of `tls:`/`wss:` listeners and outbound TLS; nil (the
    /// default): no TLS, and a TLS listener or trunk is a configuration error.
    public var tls: TLS?
    /// `websocket:` the Origin allow-list of `ws:`/`wss:` listeners (see `WebSocket`).
    public var webSocket: WebSocket

    public init() {
        listen = [Listen(transport: "udp", host: "127.0.0.1", port: 5060),
                  Listen(transport: "tcp", host: "127.0.0.1", port: 5060)]
        trustedNetworks = [CIDR("127.0.0.0/8")!, CIDR("::1")!]
        dialplanDirectory = "Dialplans"
        logLevel = "info"
        serverHeader = nil
        pidFile = nil
        limits = Limits()
        timers = Timers()
        calls = Calls()
        trunks = []
        advertisedAddress = nil
        defaultRegion = nil
        journalDirectory = nil
        database = nil
        nodeID = nil
        accessRefreshSeconds = 30
        metrics = nil
        adminTokenFile = nil
        adminToken = nil
        drainGraceSeconds = 30
        media = Media()
        sip = SIP()
        dnsServer = nil
        security = Security()
        registrar = Registrar()
        tls = nil
        webSocket = WebSocket()
    }

    /// True when `address` is inside one of the trusted networks.
    public func isTrusted(_ address: String) -> Bool {
        trustedNetworks.contains { $0.contains(address) }
    }
}
