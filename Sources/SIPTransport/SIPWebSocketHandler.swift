import NIOCore
import NIOHTTP1
import NIOWebSocket
import SIPMessage

/// One SIP-over-WebSocket connection after the upgrade (RFC 7118): each text or binary
/// message is one SIP message (§5: no stream framing, Content-Length optional), ours go out
/// as text frames. The connection is the peer's flow (RFC 5626): it is in the transport's
/// connection table under `ws:`/`wss:` ADDRESS:PORT, so responses, in-dialog requests and
/// calls to a contact that REGISTERed over it reach it. Caps as on TCP: the inbound and
/// per-source connection limits, the first-request timeout and the idle timeout.
final class SIPWebSocketHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let transport: SIPTransport
    private let transportProtocol: SIPTransportProtocol
    private var peer: SIPPeer?
    private var firstRequestTimer: Scheduled<Void>?
    private var closing = false

    init(transport: SIPTransport, protocol transportProtocol: SIPTransportProtocol) {
        self.transport = transport
        self.transportProtocol = transportProtocol
    }

    /// Added after the upgrade, on an active channel: the flow starts here.
    func handlerAdded(context: ChannelHandlerContext) {
        guard let peer = SIPTransport.peer(transportProtocol, context.channel.remoteAddress),
              transport.registerConnection(context.channel, peer: peer, outbound: false) else {
            context.close(promise: nil)
            return
        }
        self.peer = peer
        let channel = context.channel
        let transport = self.transport
        firstRequestTimer = context.eventLoop.scheduleTask(in: transport.configuration.firstRequestTimeout) {
            transport.firstRequestTimedOut(peer)
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { finish(context) }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context)
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext) {
        firstRequestTimer?.cancel()
        firstRequestTimer = nil
        if let peer {
            transport.unregisterConnection(context.channel, peer: peer, outbound: false)
            self.peer = nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let peer else { return }
        switch frame.opcode {
        case .text, .binary:
            let valid = transport.receive(frame.unmaskedData, framing: .datagram, from: peer, replyOn: context.channel)
            if valid, let timer = firstRequestTimer {
                timer.cancel()
                firstRequestTimer = nil
            }
            transport.flushHandOffs()
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            // RFC 6455 §5.5.1: answer a close with a close, then drop the connection.
            guard !closing else { context.close(promise: nil); return }
            closing = true
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            let channel = context.channel
            let sent = context.eventLoop.makePromise(of: Void.self)
            sent.futureResult.whenComplete { _ in channel.close(promise: nil) }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: sent)
        default:
            break
        }
    }

    /// A SIP message from the transport: one text frame (RFC 7118 §5.1; we only send UTF-8).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: bytes)), promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.logger.debug("websocket error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// The HTTP side of a `ws:`/`wss:` listener before the upgrade: whatever is not a WebSocket
/// upgrade asking for the `sip` subprotocol gets a clear refusal (403 for a browser page
/// whose Origin is not allowed, 400 for a WebSocket without `sip`, 426 for plain HTTP) and the connection closes. A connection that does not
/// upgrade within the first-request timeout is closed too (it is not yet counted as a flow).
final class SIPWebSocketRefusal: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let name = "sip-ws-refusal"

    private let timeout: TimeAmount
    private let origins: WebSocketOriginPolicy
    private var timer: Scheduled<Void>?
    private var answered = false

    init(timeout: TimeAmount, origins: WebSocketOriginPolicy = WebSocketOriginPolicy()) {
        self.timeout = timeout
        self.origins = origins
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        let wantsWebSocket = head.headers["upgrade"].contains { $0.lowercased() == "websocket" }
        let forbidden = wantsWebSocket && !origins.admits(head.headers)
        let status: HTTPResponseStatus = forbidden ? .forbidden : wantsWebSocket ? .badRequest : .upgradeRequired
        let text = forbidden
            ? "Origin not allowed (websocket: allowed-origins)\n"
            : wantsWebSocket
            ? "SIP over WebSocket needs Sec-WebSocket-Protocol: sip (RFC 7118)\n"
            : "This is a SIP over WebSocket endpoint: upgrade with Sec-WebSocket-Protocol: sip (RFC 7118)\n"
        var body = context.channel.allocator.buffer(capacity: text.utf8.count)
        body.writeString(text)
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("Content-Length", "\(body.readableBytes)"),
                                   ("Connection", "close")])
        if !wantsWebSocket { headers.add(name: "Upgrade", value: "websocket") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        let sent = context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
    }
}
