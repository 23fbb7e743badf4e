import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SIPMessage

/// `ws:` and `wss:` listeners (RFC 7118): HTTP/1.1 upgrade to WebSocket with the `sip`
/// subprotocol, then `SIPWebSocketHandler`. `wss:` is the same behind the TLS server handler
/// (the `tls:` certificate). Accepted on this loop, like TCP, so the connection caps hold.
extension SIPTransport {
    func bindWebSocket(_ address: SocketAddress, secure: Bool) -> EventLoopFuture<any Channel> {
        bindStream(address) { channel in
            if secure { try self.addTLSServerHandler(to: channel) }
            try self.addWebSocketHandlers(to: channel, protocol: secure ? .wss : .ws)
        }
    }

    /// Whether an upgrade request asks for SIP: `Sec-WebSocket-Protocol` lists `sip`
    /// (RFC 7118 §4.1; tokens are compared case-insensitively).
    static func offersSIPSubprotocol(_ headers: HTTPHeaders) -> Bool {
        headers["sec-websocket-protocol"]
            .flatMap { $0.split(separator: ",") }
            .contains { token in token.filter { $0 != " " && $0 != "\t" }.lowercased() == "sip" }
    }

    private func addWebSocketHandlers(to channel: any Channel, protocol transportProtocol: SIPTransportProtocol) throws {
        let maxMessage = configuration.limits.maxMessageSize
        let origins = configuration.webSocketOrigins
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxMessage,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // RFC 7118 §4.1: the server answers with the one subprotocol it picked.
                // Declined upgrades reach SIPWebSocketRefusal, which says why (403 or 400).
                guard origins.admits(head.headers), Self.offersSIPSubprotocol(head.headers) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", "sip")]))
            },
            upgradePipelineHandler: { channel, _ in
                channel.pipeline.removeHandler(name: SIPWebSocketRefusal.name).flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        // One SIP message per WebSocket message, fragments joined up to the
                        // SIP message cap.
                        try sync.addHandler(NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: maxMessage))
                        try sync.addHandler(SIPWebSocketHandler(transport: self, protocol: transportProtocol))
                    }
                }
            })
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: configuration.idleTimeout))
        try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        try sync.addHandler(SIPWebSocketRefusal(timeout: configuration.firstRequestTimeout, origins: origins), name: SIPWebSocketRefusal.name)
    }
}
