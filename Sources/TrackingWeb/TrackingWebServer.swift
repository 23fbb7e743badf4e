import Dialplan
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import LegStore
import Logging
import Tracking
import Postgres

/// `switchboard web`: loads the pools from the dialplans, migrates and syncs them into PostgreSQL, and
/// serves the API until SIGTERM/SIGINT (Hummingbird's graceful shutdown).
public struct TrackingWebServer: Sendable {
    public let configuration: WebConfiguration
    public let pools: PoolDirectory
    let logger: Logger

    public init(configuration: WebConfiguration, pools: PoolDirectory, logger: Logger = Logger(label: "switchboard.web")) {
        self.configuration = configuration
        self.pools = pools
        self.logger = logger
    }

    /// The router with every endpoint and middleware.
    func router(database: DatabasePool) -> Hummingbird.Router<WebRequestContext> {
        let api = TrackingAPI(configuration: configuration, pools: pools, database: database)
        let router = Hummingbird.Router(context: WebRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RateLimitMiddleware(buckets: TokenBuckets(burst: configuration.rateLimit.burst,
                                                                         perSecond: configuration.rateLimit.perSecond),
                                                  configuration: configuration))
        for route in Self.routes {
            router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method)!) { request, context in
                try await route.handler(api)(request, context)
            }
        }
        return router
    }

    typealias Handler = @Sendable (TrackingAPI) -> @Sendable (Request, WebRequestContext) async throws -> Response

    /// Every endpoint, in one table: registered from it, and checked against
    /// docs/tracking.openapi.yaml by a test, so the document cannot drift from the server.
    static let routes: [(method: String, path: String, handler: Handler)] = [
        ("GET", "/v1/snippet.js", { api in api.snippet }),
        ("POST", "/v1/sessions", { api in api.createSession }),
        ("OPTIONS", "/v1/sessions", { api in api.preflight }),
        ("POST", "/v1/sessions/{id}/heartbeat", { api in api.heartbeat }),
        ("OPTIONS", "/v1/sessions/{id}/heartbeat", { api in api.preflight }),
        ("GET", "/v1/admin/pools", { api in api.poolStatus }),
        ("GET", "/v1/admin/metrics", { api in api.metrics }),
        ("GET", "/v1/admin/report", { api in api.report }),
        ("GET", "/healthz", { _ in { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) } }),
    ]

    /// `METHOD /path` of every endpoint (for the OpenAPI check).
    public static var endpoints: [String] { routes.map { "\($0.method) \($0.path)" } }

    /// Syncs the pools, then serves until a termination signal.
    public func run() async throws {
        guard let database = configuration.database else { throw ValidationFailure("no database configured") }
        let connection = try PostgresConnection(database)
        // Like the daemon at its start: bring the schemas this service reads up to date (the
        // leg schema first, for the `calls` table the attribution view reads). Safe on every
        // node at once (advisory lock) and a no-op when `switchboard migrate` ran.
        try Migrator.migrate(connection, logger: logger)
        try Migrator.migrate(connection, migrations: TrackingMigrations.all, logger: logger)
        try LeaseStore(connection: connection, logger: logger).sync(pools)
        connection.close()
        let pool = DatabasePool(connectionString: database, size: configuration.databaseConnections, logger: logger)
        let numbers = pools.all.reduce(0) { $0 + $1.numbers.count }
        let logger = self.logger
        let host = configuration.host, port = configuration.port
        let app = Application(
            router: router(database: pool),
            configuration: .init(address: .hostname(host, port: port), serverName: "switchboard-web"),
            onServerRunning: { _ in
                logger.notice("switchboard web listening", metadata: [
                    "address": "\(host):\(port)", "pools": "\(pools.all.count)", "numbers": "\(numbers)"])
            },
            logger: logger)
        // Every minute: a warning per pool above 75 % leased (also a metric).
        let api = TrackingAPI(configuration: configuration, pools: pools, database: pool)
        let watcher = Task {
            while !Task.isCancelled {
                await api.warnAboutFullPools(logger: logger)
                try? await Task.sleep(for: .seconds(configuration.poolCheckInterval))
            }
        }
        defer { watcher.cancel() }
        // Post-call webhooks: one worker per node; the outbox keeps nodes from sending twice.
        let webhooks = WebhookWorker(connectionString: database, accounts: Array(configuration.accounts.values),
                                     policy: configuration.webhooks, logger: logger)
        webhooks.start()
        // On SIGTERM: let the request in flight finish and its outcome be recorded, so a
        // restart neither resends an event the receiver took nor leaves it claimed.
        defer { webhooks.stopAndWait(timeout: TimeInterval(configuration.webhooks.timeout + 10)) }
        try await app.runService()
    }
}

public struct ValidationFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
