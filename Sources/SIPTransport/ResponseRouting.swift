import SIPMessage

/// Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4), computed from its top Via.
public enum ResponseRouting {
    public enum Destination: Equatable, Sendable {
        /// Reuse the connection the request came in on, if it is still open.
        case connection(SIPPeer)
        case address(SIPPeer)
        /// No Via to route by. Unusable addresses (RFC 4475 bcast, port 0…) are refused where
        /// the datagram is sent (`DestinationCheck`), so every refusal is counted in one place.
        case none
    }

    /// - Parameters:
    ///   - response: the response to send; its top Via was stamped when the request arrived.
    ///   - requestSource: the peer the request came from (the connection for stream transports).
    public static func destination(for response: SIPResponse, requestSource: SIPPeer?) -> Destination {
        guard let via = response.vias.first else { return .none }
        // §18.2.2: a request that came over a connection is answered over that connection,
        // whatever its Via claims (torture messages and sloppy peers send "UDP" over TCP).
        if let source = requestSource, source.transport.isReliable {
            return .connection(source)
        }
        let transport = SIPTransportProtocol(rawValue: via.transport) ?? .udp
        let host = via.received ?? via.host
        let port: Int
        if case .some(.some(let p)) = via.rport {
            port = p  // RFC 3581 §4: back to the port the request came from.
        } else {
            port = via.port ?? 5060
        }
        return .address(SIPPeer(transport: transport, host: host, port: port))
    }
}
