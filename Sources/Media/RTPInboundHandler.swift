import NIOCore

/// Hands datagrams from a session's RTP or RTCP channel to the session (on its loop).
final class RTPInboundHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let session: RTPSession
    let isRTCP: Bool
    init(session: RTPSession, isRTCP: Bool) {
        self.session = session
        self.isRTCP = isRTCP
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if isRTCP { session.receiveRTCP(envelope) } else { session.receive(envelope) }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here on UDP; media keeps flowing.
    }
}
