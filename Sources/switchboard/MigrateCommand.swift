import ArgumentParser
import Billing
import LegStore
import Registrar
import Tracking
import Postgres

/// `switchboard migrate --database URL`: brings the leg-record schema, then the billing,
/// registrar and call-tracking schemas, up to date (the logic is `Migrator`, shared with the daemon's start-up).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run again).")

    @Option(help: "PostgreSQL connection string (URL or key=value).")
    var database: String

    func run() throws {
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        // Legs, billing, the registrar's agents and bindings (versions 200–209), then call
        // tracking (300–309; its view reads the calls table).
        let applied = try Billing.migrate(connection) + Migrator.migrate(connection, migrations: RegistrarMigrations.all)
            + Migrator.migrate(connection, migrations: TrackingMigrations.all)
        print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}
