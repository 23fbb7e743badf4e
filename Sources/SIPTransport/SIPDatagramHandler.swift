import NIOCore
import SIPMessage

/// One UDP socket: each datagram is one message (RFC 3261 §18.3); keep-alive CRLFs are ignored.
final class SIPDatagramHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let transport: SIPTransport

    init(transport: SIPTransport) { self.transport = transport }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let peer = SIPTransport.peer(.udp, envelope.remoteAddress) else { return }
        let buffer = envelope.data
        // RFC 5626 §3.5.1 / common practice: bare CRLF (or CRLFCRLF) datagrams are keep-alives.
        if buffer.readableBytesView.allSatisfy({ $0 == 0x0D || $0 == 0x0A }) { return }
        if buffer.readableBytes > transport.configuration.limits.maxMessageSize {
            transport.logger.debug("oversized datagram dropped", metadata: ["sip.peer": "\(peer)", "bytes": "\(buffer.readableBytes)"])
            return
        }
        transport.receive(buffer, framing: .datagram, from: peer, replyOn: context.channel)
    }

    /// The end of a read burst: messages for other SIP loops go now, one task per loop.
    func channelReadComplete(context: ChannelHandlerContext) {
        transport.flushHandOffs()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable (ECONNREFUSED) and the like surface here, late errors of an
        // earlier send; NIO keeps the socket open for them. Counted like any send error.
        transport.socketErrorCaught(error)
    }
}
