import ArgumentParser
import Foundation
import LegStore
import Tracking
import Postgres

/// `switchboard webhooks list|retry`: the post-call webhook outbox (docs/tracking.md).
/// Delivery itself runs inside `switchboard web`; these only read and reset rows.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Post-call webhook events: list them, retry dead ones.",
        subcommands: [List.self, Retry.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Events in the outbox, newest first (tab-separated).")

        @Option(help: "PostgreSQL connection string (URL or key=value).")
        var database: String

        @Option(help: "pending, delivered or dead.")
        var state: String?

        @Option(help: "Only this account.")
        var account: String?

        @Option(help: "At most this many rows.")
        var limit: Int = 100

        func validate() throws {
            if let state, !["pending", "delivered", "dead"].contains(state) { throw ValidationError("--state must be pending, delivered or dead") }
            if !(1...100_000).contains(limit) { throw ValidationError("--limit must be from 1 to 100000") }
        }

        func run() throws {
            let connection = try PostgresConnection(database)
            defer { connection.close() }
            let entries = try WebhookOutbox(connection: connection).list(state: state, account: account, limit: limit)
            print("id\tstate\tattempts\tevent\tidempotency key\turl\tnext attempt\tlast status\tlast error")
            for e in entries {
                print("\(e.id)\t\(e.state)\t\(e.attempts)\t\(e.event)\t\(e.idempotencyKey)\t\(e.url)\t\(e.state == "pending" ? e.nextAttemptAt : "-")\t\(e.lastStatus.map(String.init) ?? "-")\t\(e.lastError ?? "-")")
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send dead events again (a fresh attempt budget).")

        @Option(help: "PostgreSQL connection string (URL or key=value).")
        var database: String

        @Option(help: "Only dead events of this account.")
        var account: String?

        @Argument(help: "Outbox ids (from `webhooks list`); none: every dead event (of --account).")
        var ids: [Int64] = []

        func run() throws {
            let connection = try PostgresConnection(database)
            defer { connection.close() }
            let n = try WebhookOutbox(connection: connection).retryDead(ids: ids.isEmpty ? nil : ids, account: account)
            print("\(n) dead event\(n == 1 ? "" : "s") pending again")
        }
    }
}
