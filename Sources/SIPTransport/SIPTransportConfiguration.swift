import NIOCore
import SIPMessage

/// What the transport listens on and how much it tolerates from peers.
public struct SIPTransportConfiguration: Sendable {
    /// A listen address: the same triple as a peer (transport, IP literal, port).
    public typealias Endpoint = SIPPeer

    public var endpoints: [Endpoint]
    /// Size caps handed to the parser; `maxMessageSize` also caps stream framing.
    public var limits: SIPLimits
    /// A stream peer that starts a message and does not finish it within this time is
    /// disconnected (RFC 4475 clerr: a receiver would otherwise wait for ever).
    public var stallTimeout: TimeAmount
    /// A connection without any traffic for this long is closed.
    public var idleTimeout: TimeAmount
    /// Most inbound stream connections at once (our own outbound ones are counted apart).
    public var maxConnections: Int
    /// Most inbound stream connections from one source address (all ports together).
    /// Default 128: an office of TCP phones behind one NAT address fits, and one address
    /// can hold at most 1/32 of the default global cap.
    public var maxConnectionsPerSource: Int
    /// An inbound connection that has not carried one well-formed SIP message this long after
    /// it opened is closed (then `idleTimeout` applies). Default 5 s.
    public var firstRequestTimeout: TimeAmount
    /// Most stream connections we open ourselves (to targets and trunks). Default 1024.
    public var maxOutboundConnections: Int
    /// Bind UDP with SO_REUSEPORT, so that each SIP loop has its own socket on the same
    /// address (the kernel spreads peers over them; each loop sends from its own). Off with one
    /// loop: then a second daemon cannot share the port by mistake. (TCP listens on one loop.)
    public var reusePort = false
    /// Certificates for `tls:`/`wss:` listeners and outbound TLS; nil: no TLS (binding a
    /// TLS listener then fails, and a `sips:`/TLS target gets a send failure).
    public var tls: SIPTLSSettings?
    /// The name to send in SNI and check in the certificate of a TLS peer we connect to
    /// (a trunk's `tls-server-name:`), by peer; a peer not here is checked by the
    /// Request-URI's host when it is a name, else by its IP address (RFC 5922 §7).
    public var tlsServerNames: [SIPPeer: String] = [:]
    /// Which browser pages may open `ws:`/`wss:` connections (see `WebSocketOriginPolicy`).
    public var webSocketOrigins = WebSocketOriginPolicy()

    public init(endpoints: [Endpoint], limits: SIPLimits = SIPLimits(), stallTimeout: TimeAmount = .seconds(10),
                idleTimeout: TimeAmount = .seconds(600), maxConnections: Int = 4096,
                maxConnectionsPerSource: Int = 128, firstRequestTimeout: TimeAmount = .seconds(5),
                maxOutboundConnections: Int = 1024) {
        self.endpoints = endpoints
        self.limits = limits
        self.stallTimeout = stallTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
        self.firstRequestTimeout = firstRequestTimeout
        self.maxOutboundConnections = maxOutboundConnections
    }
}
