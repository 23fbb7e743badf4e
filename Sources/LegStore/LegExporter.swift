import Foundation
import Postgres

public enum LegExportFormat: String, Sendable, CaseIterable {
    /// RFC 4180 CSV with a header row.
    case csv
    /// One JSON array of objects (streamed: `[`, one object per line, `]`).
    case json
}

/// Which legs to export: one account (or all), created in `[since, until)`.
public struct LegExportQuery: Sendable {
    public var account: String?
    public var since: Date?
    public var until: Date?

    public init(account: String? = nil, since: Date? = nil, until: Date? = nil) {
        self.account = account
        self.since = since
        self.until = until
    }

    /// Parses a CLI time: ISO 8601 with or without fractional seconds and zone
    /// (`2026-11-26T17:00:00Z`, `2026-11-26T17:00:00.250+01:00`), or a bare UTC date (`2026-11-26`).
    public static func parseTime(_ text: String) -> Date? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = full.date(from: text) { return d }
        full.formatOptions = [.withInternetDateTime]
        if let d = full.date(from: text) { return d }
        full.formatOptions = [.withFullDate]
        full.timeZone = TimeZone(identifier: "UTC")
        return full.date(from: text)
    }
}

/// Streams legs out of PostgreSQL in constant memory: a server-side cursor fetched
/// `chunkRows` at a time inside one read-only snapshot, each chunk formatted and handed to
/// the sink before the next is fetched.
public enum LegExporter {
    public static let columns = [
        "leg_id", "call_id", "account", "tracking_number", "source", "direction", "target", "sip_call_id",
        "caller_number", "created_at", "ringing_at", "answered_at", "ended_at", "final_status", "end_reason",
        "billable_seconds",
        // last, so existing CSV readers keep their column positions (migration 3)
        "agent",
    ]
    static let timeColumns: Set<String> = ["created_at", "ringing_at", "answered_at", "ended_at"]

    /// Writes the matching legs to `sink` (called once per chunk); returns the row count.
    @discardableResult
    public static func export(_ connection: PostgresConnection, query: LegExportQuery, format: LegExportFormat,
                              chunkRows: Int = 1000, to sink: (String) throws -> Void) throws -> Int {
        // Times as ISO 8601 UTC with microseconds, whatever the server's TimeZone.
        let select = columns.map { c in
            timeColumns.contains(c) ? "to_char(\(c) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \(c)" : c
        }.joined(separator: ", ")
        let inner = """
        SELECT \(select) FROM call_legs
        WHERE ($1::text IS NULL OR account = $1)
          AND ($2::bigint IS NULL OR created_at >= timestamptz 'epoch' + $2::bigint * interval '1 microsecond')
          AND ($3::bigint IS NULL OR created_at <  timestamptz 'epoch' + $3::bigint * interval '1 microsecond')
        ORDER BY created_at, leg_id
        """
        let sql = format == .json ? "SELECT row_to_json(l)::text FROM (\(inner)) l" : inner
        let micros: (Date?) -> String? = { $0.map { String(Int64(($0.timeIntervalSince1970 * 1_000_000).rounded(.down))) } }

        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? connection.execute("ROLLBACK") }
        try connection.execute("DECLARE legs_export NO SCROLL CURSOR FOR \(sql)",
                               [query.account, micros(query.since), micros(query.until)])
        var total = 0
        try sink(format == .csv ? columns.joined(separator: ",") + "\n" : "[")
        // Bounded by the cursor: each FETCH returns fewer rows only at the end.
        while true {
            let rows = try connection.execute("FETCH FORWARD \(max(1, chunkRows)) FROM legs_export").rows
            if rows.isEmpty { break }
            var out = ""
            for row in rows {
                switch format {
                case .csv:
                    out += row.map { csvField($0) }.joined(separator: ",")
                    out += "\n"
                case .json:
                    out += (total == 0 ? "\n" : ",\n") + (row[0] ?? "null")
                }
                total += 1
            }
            try sink(out)
            if rows.count < chunkRows { break }
        }
        if format == .json { try sink(total == 0 ? "]\n" : "\n]\n") }
        return total
    }

    /// Connects, exports, disconnects (for `switchboard legs`).
    @discardableResult
    public static func export(connectionString: String, query: LegExportQuery, format: LegExportFormat,
                              to sink: (String) throws -> Void) throws -> Int {
        let connection = try PostgresConnection(connectionString)
        defer { connection.close() }
        return try export(connection, query: query, format: format, to: sink)
    }

    /// RFC 4180: quote fields holding a comma, quote, CR or LF; NULL is the empty field.
    static func csvField(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
