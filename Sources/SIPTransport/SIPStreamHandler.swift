import NIOCore
import SIPMessage

/// One TCP or TLS connection (for TLS, behind the TLS handler): frames messages by Content-Length, enforces the size cap, the stall
/// timeout and (inbound) the first-request timeout, answers keep-alive pings, and closes on
/// broken framing (RFC 3261 §18.3).
final class SIPStreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let transport: SIPTransport
    private var framer: SIPStreamFramer
    private var buffer = ByteBuffer()
    private var peer: SIPPeer?
    private var stallTimer: Scheduled<Void>?
    /// Until the first well-formed message: a connection that carries none is closed early.
    private var firstRequestTimer: Scheduled<Void>?
    /// Opened by us (to a target or trunk): counted apart, no first-request timeout.
    private let outbound: Bool
    /// TCP or TLS: names the peer (its connection-table key and the transport its
    /// messages are stamped with).
    private let transportProtocol: SIPTransportProtocol

    init(transport: SIPTransport, protocol transportProtocol: SIPTransportProtocol = .tcp, outbound: Bool) {
        self.transport = transport
        self.outbound = outbound
        self.transportProtocol = transportProtocol
        self.framer = SIPStreamFramer(maxMessageSize: transport.configuration.limits.maxMessageSize)
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let peer = SIPTransport.peer(transportProtocol, context.channel.remoteAddress),
              transport.registerConnection(context.channel, peer: peer, outbound: outbound) else {
            context.close(promise: nil)
            return
        }
        self.peer = peer
        if !outbound {
            let channel = context.channel
            let transport = self.transport
            firstRequestTimer = context.eventLoop.scheduleTask(in: transport.configuration.firstRequestTimeout) {
                transport.firstRequestTimedOut(peer)
                channel.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stallTimer?.cancel()
        firstRequestTimer?.cancel()
        if let peer { transport.unregisterConnection(context.channel, peer: peer, outbound: outbound) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        guard let peer else { return }
        do {
            while let frame = try framer.next(from: &buffer) {
                switch frame {
                case .keepAlivePing:
                    // RFC 5626 §4.4.1: answer a double-CRLF ping with a single CRLF pong.
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\r\n")), promise: nil)
                case .message(let message):
                    let valid = transport.receive(message, framing: .stream, from: peer, replyOn: context.channel)
                    if valid, let timer = firstRequestTimer {
                        timer.cancel()
                        firstRequestTimer = nil
                    }
                }
            }
        } catch {
            transport.logger.info("closing connection: broken framing", metadata: ["sip.peer": "\(peer)", "error": "\(error)"])
            switch error {
            case .invalidContentLength, .conflictingContentLength: answerBadRequest(context: context)
            case .messageTooLarge, .missingContentLength: break
            }
            transport.flushHandOffs()
            context.close(promise: nil)
            return
        }
        transport.flushHandOffs()
        buffer.discardReadBytes()
        armStallTimer(context: context)
    }

    /// A partial message starts the clock; completing it stops it.
    private func armStallTimer(context: ChannelHandlerContext) {
        if buffer.readableBytes == 0 {
            stallTimer?.cancel()
            stallTimer = nil
        } else if stallTimer == nil {
            let channel = context.channel
            let logger = transport.logger
            let peer = self.peer
            stallTimer = context.eventLoop.scheduleTask(in: transport.configuration.stallTimeout) {
                logger.info("closing connection: message stalled", metadata: ["sip.peer": "\(peer.map { "\($0)" } ?? "?")"])
                channel.close(promise: nil)
            }
        }
    }

    /// RFC 4475 ncl and mcl01: a negative or conflicting Content-Length gets 400 before the
    /// connection closes, when the header section gives us enough to address it.
    private func answerBadRequest(context: ChannelHandlerContext) {
        guard peer != nil else { return }
        let bytes = Array(buffer.readableBytesView)
        if case .failure(let error) = SIPMessageParser.parse(bytes, limits: transport.configuration.limits, framing: .datagram),
           !error.isResponse, let reply = error.responseBytes(toTag: SIPTransport.makeTag()) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.logger.debug("stream error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
