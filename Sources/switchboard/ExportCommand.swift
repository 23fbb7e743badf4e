import ArgumentParser
import Foundation
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

        @OptionGroup var window: CallWindowOptions

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
            try window.validateWindow()
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
            var export = GoogleAdsExport(account: window.account, since: window.sinceTimestamp)
            export.until = window.untilTimestamp
            export.layout = GoogleAdsExport.Layout(rawValue: by)!
            export.conversionName = conversionName.trimmingCharacters(in: .whitespaces)
            export.value = value
            export.currency = currency
            export.timeZone = timezone
            export.minimumTalkSeconds = minTalkSeconds
            let connection = try PostgresConnection(window.database)
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
