import ArgumentParser
import Foundation
import LegStore

/// The calls of one account started in [since, until): the window `report calls` and
/// `export google-ads-calls` both read, with the one parse of its times.
struct CallWindowOptions: ParsableArguments {
    @Option(help: "PostgreSQL connection string (URL or key=value).")
    var database: String

    @Option(help: "The account.")
    var account: String

    @Option(help: "Calls started at or after (ISO 8601, or YYYY-MM-DD in UTC).")
    var since: String

    @Option(help: "Calls started before (ISO 8601, or YYYY-MM-DD in UTC; default now).")
    var until: String?

    /// Not `validate()`: each command calls it where its other checks put it, so the first
    /// error reported for a bad command line stays the one it always was.
    func validateWindow() throws {
        guard LegExportQuery.parseTime(since) != nil else { throw ValidationError("bad --since time: \(since)") }
        if let until, LegExportQuery.parseTime(until) == nil { throw ValidationError("bad --until time: \(until)") }
    }

    /// `--since` as the ISO 8601 UTC timestamp the queries compare with (after `validateWindow()`).
    var sinceTimestamp: String { ISO8601DateFormatter().string(from: LegExportQuery.parseTime(since)!) }

    /// `--until` likewise, nil when not given.
    var untilTimestamp: String? { until.flatMap(LegExportQuery.parseTime).map { ISO8601DateFormatter().string(from: $0) } }
}
