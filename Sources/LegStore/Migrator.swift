import Logging
import Postgres

/// The leg store's schema migrations (`Migrations.all` unless told otherwise) through the
/// shared runner (`Postgres.SchemaMigrator`: one transaction per step, an advisory lock so
/// nodes starting together never race, nothing done twice).
public enum Migrator {
    /// Applies pending migrations; returns the versions it applied (empty if up to date).
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, migrations: [Migration] = Migrations.all,
                               logger: Logger = Logger(label: "switchboard.legs.migrate")) throws -> [Int] {
        try SchemaMigrator.migrate(connection, migrations: migrations, logger: logger)
    }

    /// Connects, migrates, disconnects (for `switchboard migrate` and the daemon's start).
    @discardableResult
    public static func migrate(connectionString: String, logger: Logger = Logger(label: "switchboard.legs.migrate")) throws -> [Int] {
        let connection = try PostgresConnection(connectionString)
        defer { connection.close() }
        return try migrate(connection, logger: logger)
    }
}
