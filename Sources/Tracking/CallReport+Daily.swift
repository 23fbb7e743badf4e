import Foundation
import Postgres

extension CallReport {
    /// One day and source of the HTML report's charts.
    public struct DailyRow: Sendable, Equatable {
        public var day: String
        public var source: String
        public var calls: Int
        public var answered: Int
        public var missed: Int
    }

    /// Calls per day (in `timeZone`) and source, the answered/missed split included, for
    /// the charts. The source is the `source` dimension's (utm_source for attributed calls).
    public func daily(connection: PostgresConnection) throws -> [DailyRow] {
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("COMMIT") }
        _ = try connection.execute("SELECT set_config('TimeZone', $1, true)", [timeZone])
        return try connection.execute("""
        SELECT to_char(a.started_at, 'YYYY-MM-DD') AS day, COALESCE(\(Dimension.source.sql), '(none)') AS source, count(*),
               count(*) FILTER (WHERE legs.answered_at IS NOT NULL), count(*) FILTER (WHERE legs.answered_at IS NULL)
        FROM call_attribution a
        CROSS JOIN LATERAL (
            SELECT min(l.answered_at) FILTER (WHERE l.direction = 'outbound') AS answered_at
            FROM call_legs l WHERE l.call_id = a.call_id) legs
        WHERE a.account = $1 AND a.started_at >= $2::timestamptz AND a.started_at < COALESCE($3::timestamptz, now())
        GROUP BY 1, 2 ORDER BY 1, 2
        """, [account, since, until]).rows.map { r in
            DailyRow(day: r[0] ?? "", source: r[1] ?? "(none)", calls: Int(r[2] ?? "0") ?? 0,
                     answered: Int(r[3] ?? "0") ?? 0, missed: Int(r[4] ?? "0") ?? 0)
        }
    }
}
