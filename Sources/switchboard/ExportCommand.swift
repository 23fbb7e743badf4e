import ArgumentParser
import Foundation
import LegStore
import Tracking
import Postgres

/// `switchboard export google-ads-calls`: offline call conversions for Google Ads
/// (docs/tracking.md, "Exports"). Reads PostgreSQL only; writes the CSV to stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export tracked calls for ad platforms.",
        subcommands: [GoogleAdsCalls.self])

    struct GoogleAdsCalls: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "google-ads-calls",
            abstract: "Google Ads offline conversion CSV of the calls attributed to an ad click.")

        @Option(help: "PostgreSQL connection string (URL or key=value).")
        var database: String

        @Option(help: "The account.")
        var account: String

        @Option(help: "Calls started at or after (ISO 8601, or YYYY-MM-DD in UTC).")
        var since: String

        @Option(help: "Calls started before (ISO 8601, or YYYY-MM-DD in UTC; default now).")
        var until: String?

        @Option(help: "The conversion action's name in Google Ads.")
        var conversionName: String = "Phone call from website"

        @Option(help: "Conversion value (a non-negative number); needs --currency.")
        var value: String?

        @Option(help: "ISO 4217 currency of --value (USD, EUR).")
        var currency: String?

        @Option(help: "IANA time zone of the Google Ads account; the file's times are in it.")
        var timezone: String = "UTC"

        @Option(help: "click: by Google Click ID (gclid); caller: by the caller's phone number.")
        var by: String = "click"

        @Option(help: "Only calls with at least this many seconds from answer to end (0: every finished call).")
        var minTalkSeconds: Int = 0

        @Option(help: "Write the CSV to this file instead of stdout.")
        var output: String?

        func validate() throws {
            guard GoogleAdsExport.Layout(rawValue: by) != nil else { throw ValidationError("--by must be click or caller") }
            guard LegExportQuery.parseTime(since) != nil else { throw ValidationError("bad --since time: \(since)") }
            if let until, LegExportQuery.parseTime(until) == nil { throw ValidationError("bad --until time: \(until)") }
            let name = conversionName.trimmingCharacters(in: .whitespaces)
            if name.isEmpty || name.count > 100 { throw ValidationError("--conversion-name must be 1 to 100 characters") }
            if let value {
                guard let v = Double(value), v.isFinite, v >= 0, value.allSatisfy({ $0.isNumber || $0 == "." }) else {
                    throw ValidationError("--value must be a non-negative number such as 50 or 12.5")
                }
                guard currency != nil else { throw ValidationError("--value needs --currency (e.g. USD)") }
            }
            if let currency, currency.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                throw ValidationError("--currency must be an ISO 4217 code such as USD")
            }
            if currency != nil && value == nil { throw ValidationError("--currency needs --value") }
            if minTalkSeconds < 0 { throw ValidationError("--min-talk-seconds must not be negative") }
            if TimeZone(identifier: timezone) == nil { throw ValidationError("unknown --timezone '\(timezone)' (an IANA name such as America/New_York)") }
        }

        func run() throws {
            let iso = ISO8601DateFormatter()
            var export = GoogleAdsExport(account: account, since: iso.string(from: LegExportQuery.parseTime(since)!))
            export.until = until.flatMap(LegExportQuery.parseTime).map { iso.string(from: $0) }
            export.layout = GoogleAdsExport.Layout(rawValue: by)!
            export.conversionName = conversionName.trimmingCharacters(in: .whitespaces)
            export.value = value
            export.currency = currency
            export.timeZone = timezone
            export.minimumTalkSeconds = minTalkSeconds
            let connection = try PostgresConnection(database)
            defer { connection.close() }
            let rows = try export.rows(connection: connection)
            let text = export.csv(rows)
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
                printError("\(rows.count) conversion\(rows.count == 1 ? "" : "s") written to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
