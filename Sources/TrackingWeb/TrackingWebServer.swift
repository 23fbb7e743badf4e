import Dialplan
import Foundation
import Hummingbird
import LegStore
import Logging
import Tracking

/// `switchboard web`: loads the pools from the dialplans, syncs them into PostgreSQL, and
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

    /// The router with every endpoint and middleware (also used by tests).
    func router(database: DatabasePool) -> Hummingbird.Router<WebRequestContext> {
        let api = TrackingAPI(configuration: configuration, pools: pools, database: database)
        let router = Hummingbird.Router(context: WebRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RateLimitMiddleware(buckets: TokenBuckets(burst: configuration.rateLimit.burst,
                                                                         perSecond: configuration.rateLimit.perSecond)))
        router.get("/v1/snippet.js", use: api.snippet)
        router.post("/v1/sessions", use: api.createSession)
        router.on("/v1/sessions", method: .options, use: api.preflight)
        router.post("/v1/sessions/{id}/heartbeat", use: api.heartbeat)
        router.on("/v1/sessions/{id}/heartbeat", method: .options, use: api.preflight)
        router.get("/v1/admin/pools", use: api.poolStatus)
        router.get("/healthz") { _, _ in "ok\n" }
        return router
    }

    /// Syncs the pools, then serves until a termination signal.
    public func run() async throws {
        guard let database = configuration.database else { throw ValidationFailure("no database configured") }
        let connection = try PostgresConnection(database)
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
        try await app.runService()
    }
}

public struct ValidationFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
