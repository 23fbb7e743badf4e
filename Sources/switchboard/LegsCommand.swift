import ArgumentParser
import Foundation
import LegStore

/// `switchboard legs [export] --database URL [--account A] [--since T] [--until T] [--format csv|json]`:
/// streams call legs to stdout (the logic is `LegExporter`, constant memory).
struct LegsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "legs",
        abstract: "Call-leg records.",
        subcommands: [Export.self],
        defaultSubcommand: Export.self)

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export legs created in [since, until) as CSV or JSON to stdout.")

        @Option(help: "PostgreSQL connection string (URL or key=value).")
        var database: String

        @Option(help: "Only this account.")
        var account: String?

        @Option(help: "Created at or after (ISO 8601, or YYYY-MM-DD in UTC).")
        var since: String?

        @Option(help: "Created before (ISO 8601, or YYYY-MM-DD in UTC).")
        var until: String?

        @Option(help: "csv or json.")
        var format: String = "csv"

        func run() throws {
            guard let format = LegExportFormat(rawValue: format) else {
                throw ValidationError("--format must be csv or json")
            }
            var query = LegExportQuery(account: account)
            if let since {
                guard let d = LegExportQuery.parseTime(since) else { throw ValidationError("bad --since time: \(since)") }
                query.since = d
            }
            if let until {
                guard let d = LegExportQuery.parseTime(until) else { throw ValidationError("bad --until time: \(until)") }
                query.until = d
            }
            let out = FileHandle.standardOutput
            try LegExporter.export(connectionString: database, query: query, format: format) { chunk in
                out.write(Data(chunk.utf8))
            }
        }
    }
}
