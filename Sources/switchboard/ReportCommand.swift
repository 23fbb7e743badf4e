import ArgumentParser
import Foundation
import LegStore
import Tracking
import Postgres

/// `switchboard report calls`: answered, missed, first-time callers and median talk time
/// per source, campaign, keyword, landing page or day (docs/tracking.md, "Reports").
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports on tracked calls.",
        subcommands: [Calls.self])

    struct Calls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Calls of an account grouped by source, campaign, keyword, landing page or day.")

        @Option(help: "PostgreSQL connection string (URL or key=value).")
        var database: String

        @Option(help: "The account.")
        var account: String

        @Option(help: "Calls started at or after (ISO 8601, or YYYY-MM-DD in UTC).")
        var since: String

        @Option(help: "Calls started before (ISO 8601, or YYYY-MM-DD in UTC; default now).")
        var until: String?

        @Option(help: "source, campaign, keyword, landing-page or day.")
        var by: String = "source"

        @Option(help: "table, csv or json.")
        var format: String = "table"

        @Option(help: "IANA time zone of the days (with --by day).")
        var timezone: String = "UTC"

        func validate() throws {
            guard CallReport.Dimension(rawValue: by) != nil else { throw ValidationError("--by must be source, campaign, keyword, landing-page or day") }
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError("--format must be table, csv or json") }
            guard LegExportQuery.parseTime(since) != nil else { throw ValidationError("bad --since time: \(since)") }
            if let until, LegExportQuery.parseTime(until) == nil { throw ValidationError("bad --until time: \(until)") }
            if TimeZone(identifier: timezone) == nil { throw ValidationError("unknown --timezone '\(timezone)' (an IANA name such as America/New_York)") }
        }

        func run() throws {
            let iso = ISO8601DateFormatter()
            var report = CallReport(account: account, since: iso.string(from: LegExportQuery.parseTime(since)!),
                                    until: until.flatMap(LegExportQuery.parseTime).map { iso.string(from: $0) },
                                    dimension: CallReport.Dimension(rawValue: by)!)
            report.timeZone = timezone
            let connection = try PostgresConnection(database)
            defer { connection.close() }
            let rows = try report.rows(connection: connection)
            let text: String
            switch format {
            case "csv": text = report.csv(rows)
            case "json": text = try report.json(rows)
            default: text = report.table(rows)
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
