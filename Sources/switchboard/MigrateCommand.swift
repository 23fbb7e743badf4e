import ArgumentParser
import Billing
import LegStore

/// `switchboard migrate --database URL`: brings the leg-record schema, then the billing
/// schema, up to date (the logic is `Migrator`, shared with the daemon's start-up).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run again).")

    @Option(help: "PostgreSQL connection string (URL or key=value).")
    var database: String

    func run() throws {
        let applied = try Billing.migrate(connectionString: database)
        print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}
