import ArgumentParser
import Foundation
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

        @OptionGroup var window: CallWindowOptions

        @Option(help: "source, campaign, keyword, landing-page or day.")
        var by: String = "source"

        @Option(help: "table, csv or json.")
        var format: String = "table"

        @Option(help: "IANA time zone of the days (with --by day).")
        var timezone: String = "UTC"

        func validate() throws {
            guard CallReport.Dimension(rawValue: by) != nil else { throw ValidationError("--by must be source, campaign, keyword, landing-page or day") }
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError("--format must be table, csv or json") }
            try window.validateWindow()
            if TimeZone(identifier: timezone) == nil { throw ValidationError("unknown --timezone '\(timezone)' (an IANA name such as America/New_York)") }
        }

        func run() throws {
            var report = CallReport(account: window.account, since: window.sinceTimestamp, until: window.untilTimestamp,
                                    dimension: CallReport.Dimension(rawValue: by)!)
            report.timeZone = timezone
            let connection = try PostgresConnection(window.database)
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
