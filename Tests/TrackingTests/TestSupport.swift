import Dialplan
import Foundation
import LegStore
import ProcessTestKit
import Tracking
import Postgres

/// A throwaway PostgreSQL with the leg and tracking schemas, and a dialplan with one pool.
final class TrackingDatabase: @unchecked Sendable {
    let cluster: PostgresCluster
    let connectionString: String
    let dialplans: URL
    let pools: PoolDirectory

    /// - Parameter poolNumbers: the numbers of pool `website` of account `acme`.
    init(poolNumbers: [String] = TrackingDatabase.numbers(8)) throws {
        cluster = try PostgresCluster()
        connectionString = cluster.connectionString(database: try cluster.createDatabase())
        let connection = try PostgresConnection(connectionString)
        defer { connection.close() }
        try Migrator.migrate(connection)
        try Migrator.migrate(connection, migrations: TrackingMigrations.all)
        dialplans = try TrackingDatabase.writeDialplan(poolNumbers: poolNumbers)
        let loaded = DialplanLoader.load(directory: dialplans.path)
        guard let table = loaded.table else { throw TestFailure("dialplan: \(loaded.diagnostics)") }
        pools = PoolDirectory(table: table)
        try LeaseStore(connection: connection).sync(pools)
    }

    static func numbers(_ n: Int, from first: Int = 110) -> [String] {
        (0..<n).map { "+1800555\(String(format: "%04d", first + $0))" }
    }

    static func writeDialplan(poolNumbers: [String], calleeTarget: String = "sip:desk@127.0.0.1:5999") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tracking-dialplans-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let yaml = """
        account: acme
        timezone: America/New_York
        numbers:
          "+18005550100": { plan: main, source: radio }
        pools:
          website:
            numbers: [\(poolNumbers.map { "\"\($0)\"" }.joined(separator: ", "))]
            plan: main
            source: website
        plans:
          main:
            ring-all: { targets: ["\(calleeTarget)"], timeout: 10s }

        """
        try yaml.write(to: directory.appendingPathComponent("acme.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(connectionString) }

    func store() throws -> LeaseStore { LeaseStore(connection: try connect()) }

    func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        let c = try connect()
        defer { c.close() }
        return try c.execute(sql, parameters).rows.first?.first ?? nil
    }

    func cleanUp() {
        cluster.stop()
        try? FileManager.default.removeItem(at: dialplans)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension SessionRequest {
    static func sample(campaign: String? = nil, gclid: String? = nil) -> SessionRequest {
        SessionRequest(key: "pk_acme_test", pool: "website", landingURL: "https://www.acme.example/landing?utm_campaign=x",
                       referrer: "https://www.google.com/", utmSource: "google", utmMedium: "cpc", utmCampaign: campaign,
                       utmTerm: "emergency plumber", gclid: gclid, visitorID: UUID().uuidString)
    }
}
