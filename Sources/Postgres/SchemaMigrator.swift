import Foundation
import Logging

/// Brings a database to the latest schema of an ordered list of migrations (each module
/// keeps its own: LegStore's `Migrations`, Billing's, the registrar's, tracking's). Each migration runs in its own transaction with
/// its row in `schema_migrations`, under an advisory lock so several nodes (or a node and
/// `switchboard migrate`) starting together never race; running it again does nothing.
public enum SchemaMigrator {
    /// Applies pending migrations; returns the versions it applied (empty if up to date).
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, migrations: [Migration], logger: Logger) throws -> [Int] {
        // The lock (an arbitrary key shared by every Switchboard process) comes first, so
        // even the CREATE TABLE IF NOT EXISTS below never races another node's.
        try connection.execute("SELECT pg_advisory_lock(6075687766)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(6075687766)") }
        try connection.execute("""
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     int PRIMARY KEY,
            name        text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )
        """)
        let done = Set(try connection.execute("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap { Int($0) } })
        var applied: [Int] = []
        for m in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(m.version) {
            try connection.execute("BEGIN")
            do {
                try connection.execute(m.sql)
                try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                try connection.execute("COMMIT")
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw error
            }
            logger.info("applied migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
            applied.append(m.version)
        }
        return applied
    }
}

/// One schema step. Append new ones to a list; never edit one that has shipped (databases
/// record the versions they ran, not the text).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
