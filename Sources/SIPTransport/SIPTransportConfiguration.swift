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
    /// Most inbound plus outbound stream connections at once.
    public var maxConnections: Int

    public init(endpoints: [Endpoint], limits: SIPLimits = SIPLimits(), stallTimeout: TimeAmount = .seconds(10),
                idleTimeout: TimeAmount = .seconds(600), maxConnections: Int = 4096) {
        self.endpoints = endpoints
        self.limits = limits
        self.stallTimeout = stallTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}
