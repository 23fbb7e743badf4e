/// The transport a message travelled on (RFC 3261 §18).
public enum SIPTransportProtocol: String, Sendable, Hashable, CaseIterable {
    case udp = "UDP"
    case tcp = "TCP"
    case tls = "TLS"
    case ws = "WS"
    case wss = "WSS"

    /// Reliable transports need no retransmission timers (RFC 3261 §17.1.1.2, §17.1.2.2).
    public var isReliable: Bool { self != .udp }
}

/// Where a message came from or goes to: transport, address and port. For stream transports
/// the same peer names the connection the transport keeps for it (RFC 3261 §18.2.2: responses
/// go back over the connection the request came on).
public struct SIPPeer: Sendable, Hashable, CustomStringConvertible {
    public var transport: SIPTransportProtocol
    /// IP literal without brackets.
    public var host: String
    public var port: Int

    public init(transport: SIPTransportProtocol, host: String, port: Int) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    public var description: String {
        "\(transport.rawValue.lowercased()):\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
