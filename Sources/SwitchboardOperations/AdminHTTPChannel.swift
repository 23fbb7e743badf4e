import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel, plus `HTTP1VersionEcho` between the HTTP/1 codec and
/// the version-independent HTTP types: Hummingbird answers every request as HTTP/1.1 and
/// keeps an HTTP/1.0 connection open, where the endpoint has always answered in the
/// request's version and closed a connection the client did not ask to keep (scrapers and
/// `curl -0` read to the end).
struct AdminHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder

    static var builder: HTTPServerBuilder {
        HTTPServerBuilder { responder in AdminHTTPChannel(responder: responder) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            // Admin requests are a line and a token: small caps, as for every other input.
            limits.maxHeaderFieldSize = 8 * 1024
            limits.maxHeaderListSize = 16 * 1024
            limits.maxHeaderFieldCount = 100
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try channel.pipeline.syncOperations.addHandler(HTTP1VersionEcho())
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // Closes idle keep-alive connections at shutdown and after a minute unused.
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: .seconds(60), logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel,
                                       configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// Answers each request in its own HTTP version, and marks a request that does not keep its
/// connection alive (HTTP/1.0 without `keep-alive`, or `Connection: close`) with
/// `Connection: close` on both sides, so Hummingbird closes after the answer and the client
/// is told. Requests on one connection are answered in order, so a FIFO of heads suffices.
final class HTTP1VersionEcho: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var pending: [(version: HTTPVersion, keepAlive: Bool)] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let keepAlive = head.isKeepAlive
        pending.append((head.version, keepAlive))
        if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200 else {
            context.write(data, promise: promise)
            return
        }
        let request = pending.isEmpty ? (version: HTTPVersion.http1_1, keepAlive: true) : pending.removeFirst()
        head.version = request.version
        if !request.keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
