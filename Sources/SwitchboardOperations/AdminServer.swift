import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The admin/metrics endpoint on the configured address (`metrics:`), a Hummingbird
/// application on NIO's shared loops, never the SIP loops, so a scrape never competes with
/// SIP for a protocol loop:
/// `GET /metrics` in the Prometheus text format, `GET /queues` (JSON, for `switchboard
/// queues`), `GET /bans` and `DELETE /bans/ADDRESS` (`switchboard bans`). What each request
/// gets is `AdminRoute`'s decision; this type only serves it. Runs as a `Service` listed
/// before the SIP service, so the group stops it last: it keeps answering while calls drain.
///
/// Answers are what the hand-written HTTP/1 server before it sent (tests pin them), down to
/// the status line: `AdminHTTPChannel` answers an HTTP/1.0 request as HTTP/1.0 and closes.
public final class AdminServer: Service, @unchecked Sendable {
    public let host: String
    public let port: Int
    let metrics: DaemonMetrics
    /// Brings the gauges and mirrored counters up to date (on the SIP loop) before a scrape.
    let refresh: @Sendable () -> EventLoopFuture<Void>
    /// The queue document, built on the SIP loop; caller numbers masked unless revealed.
    let queues: @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>
    let bans: BanControl
    let access: AdminAccess
    let logger: Logger
    private let bound = Mutex<Int?>(nil)

    /// The port listened on once running (the configured one, or the kernel's for port 0).
    public var boundPort: Int? { bound.withLock { $0 } }

    public init(host: String, port: Int, metrics: DaemonMetrics, access: AdminAccess, logger: Logger,
                refresh: @escaping @Sendable () -> EventLoopFuture<Void>,
                queues: @escaping @Sendable (_ revealCallers: Bool) -> EventLoopFuture<[UInt8]>,
                bans: BanControl) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.access = access
        self.logger = logger
        self.refresh = refresh
        self.queues = queues
        self.bans = bans
    }

    public func run() async throws {
        let responder = CallbackResponder<BasicRequestContext> { [self] request, _ in
            let reply = await answer(method: request.method.rawValue, path: request.uri.path,
                                     authorization: request.headers[.authorization])
            return Self.response(reply)
        }
        let host = self.host, logger = self.logger
        let app = Application(
            responder: responder,
            server: AdminHTTPChannel.builder,
            configuration: .init(address: .hostname(host, port: port), backlog: 32, reuseAddress: true),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port
                bound.withLock { $0 = port }
                logger.notice("metrics listening", metadata: ["metrics.listen": "\(host.contains(":") ? "[\(host)]" : host):\(port ?? 0)"])
            },
            eventLoopGroupProvider: .singleton,
            logger: Self.quietLogger(logger))
        try await app.run()
    }

    /// Hummingbird's own per-request lines stay below the daemon's level (one per scrape
    /// would flood the journal); its errors still show.
    static func quietLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return quiet
    }

    /// One request's answer (any thread).
    func answer(method: String, path: String, authorization: String?) async -> AdminReply {
        let route = AdminRoute.route(method: method, path: path, authorization: authorization, access: access)
        if let reply = route.immediateReply { return reply }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        switch route {
        case .metrics(let headOnly):
            // Refresh from the SIP loop, but never let a stuck loop hang the scrape: after a
            // second the values already held are served.
            let done = loop.makePromise(of: Void.self)
            let timeout = loop.scheduleTask(in: .seconds(1)) { done.succeed(()) }
            refresh().hop(to: loop).whenComplete { _ in
                timeout.cancel()
                done.succeed(())
            }
            try? await done.futureResult.get()
            return AdminReply(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                              body: headOnly ? [] : metrics.exposition())
        case .queues(let reveal):
            guard let body = try? await queues(reveal).get() else { return .unavailable }
            return .json(body)
        case .listBans:
            guard let body = try? await bans.list().get() else { return .unavailable }
            return .json(body)
        case .liftBan(let address):
            switch try? await bans.lift(address).get() {
            case true?: return .text(200, "lifted \(address)")
            case false?: return .text(404, "\(address) is not banned")
            case nil: return .unavailable
            }
        case .unauthorized, .notFound, .methodNotAllowed:
            return route.immediateReply!
        }
    }

    static func response(_ reply: AdminReply) -> Response {
        var fields = HTTPFields()
        for (name, value) in reply.allHeaders {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        fields[.contentLength] = "\(reply.body.count)"
        return Response(status: .init(code: reply.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

/// The edge's bans as the admin endpoint sees them (both run on the SIP loop).
public struct BanControl: Sendable {
    public let list: @Sendable () -> EventLoopFuture<[UInt8]>
    public let lift: @Sendable (String) -> EventLoopFuture<Bool>

    public init(list: @escaping @Sendable () -> EventLoopFuture<[UInt8]>, lift: @escaping @Sendable (String) -> EventLoopFuture<Bool>) {
        self.list = list
        self.lift = lift
    }
}
