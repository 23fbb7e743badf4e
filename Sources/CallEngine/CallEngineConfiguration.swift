import SIPMessage

/// What the call engine needs to know about the node and its neighbours.
public struct CallEngineConfiguration: Sendable {
    /// An outbound carrier gateway for `tel:` targets.
    public struct Trunk: Sendable, Equatable {
        public enum Forwarding: String, Sendable { case diversion, historyInfo = "history-info", none }
        public var name: String
        public var host: String
        public var port: Int
        public var transport: SIPTransportProtocol
        /// E.164 prefixes this trunk carries (`+1`, `+44`); empty carries everything.
        public var prefixes: [String]
        /// Send the number without its `+` (many carriers want bare digits).
        public var stripPlus: Bool
        /// Digits put in front of the number (a carrier's routing prefix).
        public var dialPrefix: String
        /// How the tracking number is named on forwarded calls (RFC 5806 / RFC 7044).
        public var forwarding: Forwarding

        public init(name: String, host: String, port: Int = 5060, transport: SIPTransportProtocol = .udp,
                    prefixes: [String] = [], stripPlus: Bool = false, dialPrefix: String = "",
                    forwarding: Forwarding = .diversion) {
            self.name = name
            self.host = host
            self.port = port
            self.transport = transport
            self.prefixes = prefixes
            self.stripPlus = stripPlus
            self.dialPrefix = dialPrefix
            self.forwarding = forwarding
        }
    }

    /// Our address as peers must see it in Via and Contact (the listen address by default).
    public var advertisedHost: String
    public var advertisedPort: Int
    /// The port of our listener for each transport (the first of each in `listen:`): a
    /// message leaving over TCP names the TCP listener in Via and Contact, one over WS the WS
    /// listener (RFC 3261 §18.1.1, §8.1.1.8), so the peer's next request reaches a socket of
    /// that transport. A transport without a listener falls back to `advertisedPort`.
    public var advertisedPorts: [SIPTransportProtocol: Int] = [:]
    /// Transport for requests we originate to `sip:` targets without a transport parameter.
    public var defaultTransport: SIPTransportProtocol
    public var trunks: [Trunk]
    /// A bridged call is ended with BYE both ways after this long (lost-BYE guard).
    public var maxCallDuration: Duration
    /// Calls in progress at once across the node; over it new calls get 503.
    public var maxConcurrentCalls: Int
    /// New calls per second accepted from one source address (token bucket, burst = rate).
    public var maxCallsPerSecondPerSource: Int
    /// Calls in progress to one tracking number at once (runaway/fraud guard).
    public var maxCallsPerNumber: Int
    /// Retry-After seconds sent with 503.
    public var retryAfterSeconds: Int
    /// How the tracking number is named on calls to `sip:` targets (no trunk involved).
    public var directForwarding: Trunk.Forwarding
    /// RFC 3261 T1 and T2 for our own 2xx retransmissions (§13.3.1.4).
    public var t1: Duration
    public var t2: Duration
    /// Region for reading national-format numbers when a carrier sends them.
    public var defaultRegion: String?
    /// Put in front of the Call-ID of every dialog we start (outbound legs), so that the
    /// daemon routes the dialog's responses and requests to the SIP loop of its call
    /// (`CallIDSharding.prefix(shard:)`). Empty with one loop.
    public var callIDPrefix = ""

    public init(advertisedHost: String = "127.0.0.1", advertisedPort: Int = 5060, defaultTransport: SIPTransportProtocol = .udp,
                trunks: [Trunk] = [], maxCallDuration: Duration = .seconds(4 * 3600), maxConcurrentCalls: Int = 20_000,
                maxCallsPerSecondPerSource: Int = 500, maxCallsPerNumber: Int = 200, retryAfterSeconds: Int = 5,
                directForwarding: Trunk.Forwarding = .diversion, t1: Duration = .milliseconds(500),
                t2: Duration = .seconds(4), defaultRegion: String? = nil) {
        self.advertisedHost = advertisedHost
        self.advertisedPort = advertisedPort
        self.defaultTransport = defaultTransport
        self.trunks = trunks
        self.maxCallDuration = maxCallDuration
        self.maxConcurrentCalls = maxConcurrentCalls
        self.maxCallsPerSecondPerSource = maxCallsPerSecondPerSource
        self.maxCallsPerNumber = maxCallsPerNumber
        self.retryAfterSeconds = retryAfterSeconds
        self.directForwarding = directForwarding
        self.t1 = t1
        self.t2 = t2
        self.defaultRegion = defaultRegion
    }
}
