import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, and `GET /queues` (queue state as JSON, for
/// `switchboard queues`), on the configured address (`metrics:`), on
/// its own thread so a scrape never competes with SIP for the protocol loop. Anything else
/// gets 404 (405 for other methods). Runs as a `Service` listed before the SIP service, so
/// the group stops it last: it keeps answering while calls drain.
///
/// Access (`AdminAccess`): on a loopback address anyone on this host may read; on any other
/// address every request needs the bearer token of `admin-token-file` (the configuration
/// refuses a non-loopback address without one). Callers' numbers in `/queues` are shown
/// only to a request carrying the token.
final class MetricsServer: Service, @unchecked Sendable {
    let host: String
    let port: Int
    let metrics: DaemonMetrics
    /// Brings the gauges and mirrored counters up to date (on the SIP loop) before a scrape.
    let refresh: @Sendable () -> EventLoopFuture<Void>
    /// The queue document, built on the SIP loop; caller numbers masked unless revealed.
    let queues: @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>
    let bans: BanControl
    let logger: Logger
    let access: AdminAccess
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private(set) var boundPort: Int?

    init(host: String, port: Int, metrics: DaemonMetrics, access: AdminAccess, logger: Logger,
         refresh: @escaping @Sendable () -> EventLoopFuture<Void>,
         queues: @escaping @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>,
         bans: BanControl) {
        self.bans = bans
        self.host = host
        self.port = port
        self.metrics = metrics
        self.access = access
        self.logger = logger
        self.refresh = refresh
        self.queues = queues
    }

    func run() async throws {
        let metrics = self.metrics, refresh = self.refresh, queues = self.queues, access = self.access, bans = self.bans
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 32)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics, access: access, refresh: refresh, queues: queues, bans: bans))
                }
            }
            .bind(host: host, port: port).get()
        boundPort = channel.localAddress?.port
        logger.notice("metrics listening", metadata: ["metrics.listen": "\(host.contains(":") ? "[\(host)]" : host):\(boundPort ?? port)"])
        try? await gracefulShutdown()
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// One HTTP/1.1 exchange at a time per connection (keep-alive honoured).
final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: DaemonMetrics
    let access: AdminAccess
    let refresh: @Sendable () -> EventLoopFuture<Void>
    private var head: HTTPRequestHead?

    let queues: @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>
    let bans: BanControl

    init(metrics: DaemonMetrics, access: AdminAccess, refresh: @escaping @Sendable () -> EventLoopFuture<Void>,
         queues: @escaping @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>, bans: BanControl) {
        self.bans = bans
        self.metrics = metrics
        self.access = access
        self.refresh = refresh
        self.queues = queues
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let authorization = head.headers.first(name: "Authorization")
            let authorized: Bool
            switch access.decide(authorization: authorization) {
            case .refuse(let reason):
                // RFC 6750 §3: say which scheme we want; never echo what was offered.
                respond(context: context, head: head, status: .unauthorized, body: Array("\(reason)\n".utf8),
                        extra: [("WWW-Authenticate", #"Bearer realm="switchboard""#)])
                return
            case .allow(let withToken):
                authorized = withToken
            }
            if path == "/queues", head.method == .GET {
                let loop = context.eventLoop
                let bound = NIOLoopBound(context, eventLoop: loop)
                queues(authorized).hop(to: loop).whenComplete { [self] result in
                    switch result {
                    case .success(let body):
                        respond(context: bound.value, head: head, status: .ok, body: body,
                                extra: [("Content-Type", "application/json")])
                    case .failure:
                        respond(context: bound.value, head: head, status: .serviceUnavailable, body: Array("unavailable\n".utf8))
                    }
                }
                return
            }
            if path == "/bans" || path.hasPrefix("/bans/") {
                // Lifting a ban changes what the SIP edge lets in: with a token configured,
                // only a request that carries it may (reading the list stays as open as /metrics).
                if head.method != .GET, access.token != nil, !authorized {
                    respond(context: context, head: head, status: .unauthorized,
                            body: Array("lifting a ban needs Authorization: Bearer <the token in admin-token-file>\n".utf8),
                            extra: [("WWW-Authenticate", #"Bearer realm="switchboard""#)])
                    return
                }
                serveBans(context: context, head: head, path: path)
                return
            }
            guard path == "/metrics" else {
                respond(context: context, head: head, status: .notFound, body: Array("not found: try /metrics, /queues or /bans\n".utf8))
                return
            }
            guard head.method == .GET || head.method == .HEAD else {
                respond(context: context, head: head, status: .methodNotAllowed, body: Array("GET only\n".utf8),
                        extra: [("Allow", "GET, HEAD")])
                return
            }
            // Refresh from the SIP loop, but never let a stuck loop hang the scrape: after a
            // second the values already held are served.
            let loop = context.eventLoop
            let refreshed = refresh().hop(to: loop)
            let timeout = loop.scheduleTask(in: .seconds(1)) {}
            let done = loop.makePromise(of: Void.self)
            refreshed.whenComplete { _ in done.succeed(()) }
            timeout.futureResult.whenSuccess { done.succeed(()) }
            let context = NIOLoopBound(context, eventLoop: loop)
            done.futureResult.whenSuccess { [self] in
                timeout.cancel()
                let body = head.method == .HEAD ? [] : metrics.exposition()
                respond(context: context.value, head: head, status: .ok, body: body,
                        extra: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
            }
        }
    }

    /// `GET /bans`: the JSON list; `DELETE /bans/ADDRESS`: lift one (404 when not banned).
    private func serveBans(context: ChannelHandlerContext, head: HTTPRequestHead, path: String) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        switch (head.method, path) {
        case (.GET, "/bans"):
            bans.list().hop(to: loop).whenComplete { [self] result in
                switch result {
                case .success(let body):
                    respond(context: bound.value, head: head, status: .ok, body: body, extra: [("Content-Type", "application/json")])
                case .failure:
                    respond(context: bound.value, head: head, status: .serviceUnavailable, body: Array("unavailable\n".utf8))
                }
            }
        case (.DELETE, _) where path.count > "/bans/".count:
            let raw = String(path.dropFirst("/bans/".count))
            let address = raw.removingPercentEncoding ?? raw
            bans.lift(address).hop(to: loop).whenComplete { [self] result in
                switch result {
                case .success(true):
                    respond(context: bound.value, head: head, status: .ok, body: Array("lifted \(address)\n".utf8))
                case .success(false):
                    respond(context: bound.value, head: head, status: .notFound, body: Array("\(address) is not banned\n".utf8))
                case .failure:
                    respond(context: bound.value, head: head, status: .serviceUnavailable, body: Array("unavailable\n".utf8))
                }
            }
        default:
            respond(context: context, head: head, status: .methodNotAllowed, body: Array("GET /bans or DELETE /bans/ADDRESS\n".utf8),
                    extra: [("Allow", "GET, DELETE")])
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, body: [UInt8],
                         extra: [(String, String)] = []) {
        var headers = HTTPHeaders(extra)
        if !headers.contains(name: "Content-Type") { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// The edge's bans as the admin endpoint sees them (both run on the SIP loop).
struct BanControl: Sendable {
    let list: @Sendable () -> EventLoopFuture<[UInt8]>
    let lift: @Sendable (String) -> EventLoopFuture<Bool>
}
