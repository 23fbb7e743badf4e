import Foundation
import Postgres

/// `switchboard report calls`: calls of one account in [since, until) grouped by source,
/// campaign, keyword, landing page or day, from the `call_attribution` view (issue 16
/// item 4). One SQL statement; the grouping expression is chosen from a fixed list, never
/// built from input.
public struct CallReport: Sendable {
    public enum Dimension: String, Sendable, CaseIterable {
        case source, campaign, keyword, landingPage = "landing-page", day

        /// The SQL of the group key over the `a` (call_attribution) alias. `source` is the
        /// session's `utm_source` for attributed calls (google, newsletter), else the
        /// number's own source (radio, website); a landing page loses its query string.
        var sql: String {
            switch self {
            case .source: "CASE WHEN a.attribution = 'attributed' THEN COALESCE(a.utm_source, a.source) ELSE a.source END"
            case .campaign: "a.campaign"
            case .keyword: "a.keyword"
            case .landingPage: "split_part(a.landing_page, '?', 1)"
            case .day: "to_char(a.started_at, 'YYYY-MM-DD')"
            }
        }
    }

    public struct Row: Sendable, Equatable, Codable {
        /// The group; `(none)` when the calls had no value for it.
        public var key: String
        public var calls: Int
        public var answered: Int
        public var missed: Int
        public var firstTime: Int
        /// Median seconds from first answer to end, over the answered calls (nil: none answered).
        public var medianTalkSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case key, calls, answered, missed
            case firstTime = "first_time"
            case medianTalkSeconds = "median_talk_seconds"
        }
    }

    public var account: String
    public var since: String
    public var until: String?
    public var dimension: Dimension
    /// IANA zone for `day` (default UTC).
    public var timeZone = "UTC"

    public init(account: String, since: String, until: String? = nil, dimension: Dimension) {
        self.account = account
        self.since = since
        self.until = until
        self.dimension = dimension
    }

    /// Groups by calls, most first (days in order), `(none)` last.
    public func rows(connection: PostgresConnection) throws -> [Row] {
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("COMMIT") }
        _ = try connection.execute("SELECT set_config('TimeZone', $1, true)", [timeZone])
        let order = dimension == .day ? "key NULLS LAST" : "key IS NULL, calls DESC, key"
        return try connection.execute("""
        WITH c AS (
            SELECT \(dimension.sql) AS key, a.first_time_caller, legs.answered_at,
                   CASE WHEN legs.answered_at IS NOT NULL AND a.ended_at IS NOT NULL
                        THEN GREATEST(0, ceil(extract(epoch FROM a.ended_at - legs.answered_at))) END AS talk
            FROM call_attribution a
            CROSS JOIN LATERAL (
                SELECT min(l.answered_at) FILTER (WHERE l.direction = 'outbound') AS answered_at
                FROM call_legs l WHERE l.call_id = a.call_id) legs
            WHERE a.account = $1 AND a.started_at >= $2::timestamptz AND a.started_at < COALESCE($3::timestamptz, now())
        )
        SELECT key, count(*) AS calls, count(*) FILTER (WHERE answered_at IS NOT NULL),
               count(*) FILTER (WHERE answered_at IS NULL), count(*) FILTER (WHERE first_time_caller),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY talk) FILTER (WHERE talk IS NOT NULL)
        FROM c GROUP BY key ORDER BY \(order)
        """, [account, since, until]).rows.map { r in
            Row(key: r[0] ?? "(none)", calls: Int(r[1] ?? "0") ?? 0, answered: Int(r[2] ?? "0") ?? 0, missed: Int(r[3] ?? "0") ?? 0,
                firstTime: Int(r[4] ?? "0") ?? 0, medianTalkSeconds: r[5].flatMap { Double($0) })
        }
    }

    public static let header = ["calls", "answered", "missed", "first_time", "median_talk_seconds"]

    public static func median(_ value: Double?) -> String {
        guard let value else { return "" }
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    public func csv(_ rows: [Row]) -> String {
        var lines = [([dimension.rawValue] + Self.header).joined(separator: ",")]
        for r in rows {
            lines.append([GoogleAdsExport.field(r.key), String(r.calls), String(r.answered), String(r.missed), String(r.firstTime),
                          Self.median(r.medianTalkSeconds)].joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Aligned columns for a terminal; long keys are cut at 60 characters.
    public func table(_ rows: [Row]) -> String {
        let cells = [[dimension.rawValue] + Self.header] + rows.map { r in
            [r.key.count > 60 ? String(r.key.prefix(59)) + "…" : r.key, String(r.calls), String(r.answered), String(r.missed),
             String(r.firstTime), Self.median(r.medianTalkSeconds).isEmpty ? "-" : Self.median(r.medianTalkSeconds)]
        }
        let widths = (0..<cells[0].count).map { i in cells.map { $0[i].count }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    public func json(_ rows: [Row]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
    }
}
