import Foundation

/// How many numbers a website pool needs (issue 16 item 6). The rule of thumb of call
/// tracking vendors: one number per 25 daily visitors, so that a number is rarely shown to two
/// visitors inside one idle window. From live data, the measure is the peak of sessions that
/// wanted a number at once: a pool whose peak goes above 75 % of its size is close to taking
/// numbers over (and then attributing a call to the wrong visitor).
public enum PoolAdvice {
    public static let defaultVisitorsPerNumber = 25
    /// Leased share above which a pool counts as nearly full.
    public static let fullShare = 0.75

    /// Numbers for `visitorsPerDay` (at least 1).
    public static func numbers(visitorsPerDay: Int, visitorsPerNumber: Int = defaultVisitorsPerNumber) -> Int {
        max(1, Int((Double(visitorsPerDay) / Double(max(1, visitorsPerNumber))).rounded(.up)))
    }

    /// Numbers to add so that `peak` concurrent sessions stay within 75 % of the pool.
    public static func numbersToAdd(size: Int, peak: Int) -> Int {
        let needed = Int((Double(peak) / fullShare).rounded(.up))
        return max(0, needed - size)
    }

    public static func isNearlyFull(leased: Int, size: Int) -> Bool {
        size > 0 && Double(leased) > fullShare * Double(size)
    }
}

/// One pool's use over a period, from the lease history.
public struct PoolUsage: Sendable, Equatable {
    public var account: String
    public var pool: String
    public var size: Int
    /// Most sessions wanting a number at once (a taken-over session counts until its own
    /// expiry: it was still on the page).
    public var peakSessions: Int
    public var sessions: Int
    public var takeovers: Int
    public var unattributedCalls: Int
}

extension LeaseStore {
    /// Pool use since `since` (ISO 8601 or any PostgreSQL timestamptz text).
    public func usage(since: String) throws -> [PoolUsage] {
        let rows = try connection.execute("""
        WITH events AS (
            SELECT account, pool, started_at AS t, 1 AS d FROM dni_leases WHERE started_at >= $1::timestamptz
            UNION ALL
            SELECT account, pool, expires_at, -1 FROM dni_leases WHERE started_at >= $1::timestamptz
        ), running AS (
            -- An end and a start at the same instant: the end first.
            SELECT account, pool, sum(d) OVER (PARTITION BY account, pool ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS c FROM events
        ), peaks AS (SELECT account, pool, max(c) AS peak FROM running GROUP BY account, pool)
        SELECT n.account, n.pool, count(*) FILTER (WHERE n.in_dialplan),
               COALESCE((SELECT peak FROM peaks p WHERE p.account = n.account AND p.pool = n.pool), 0),
               (SELECT count(*) FROM dni_leases l WHERE l.account = n.account AND l.pool = n.pool AND l.started_at >= $1::timestamptz),
               (SELECT count(*) FROM dni_leases l WHERE l.account = n.account AND l.pool = n.pool AND l.started_at >= $1::timestamptz
                    AND l.end_reason = 'taken-over'),
               (SELECT count(*) FROM call_attribution a WHERE a.account = n.account AND a.pool = n.pool
                    AND a.attribution = 'unattributed' AND a.started_at >= $1::timestamptz)
        FROM dni_numbers n GROUP BY n.account, n.pool ORDER BY n.account, n.pool
        """, [since]).rows
        return rows.map { r in
            PoolUsage(account: r[0] ?? "", pool: r[1] ?? "", size: Int(r[2] ?? "0") ?? 0, peakSessions: Int(r[3] ?? "0") ?? 0,
                      sessions: Int(r[4] ?? "0") ?? 0, takeovers: Int(r[5] ?? "0") ?? 0, unattributedCalls: Int(r[6] ?? "0") ?? 0)
        }
    }

    /// Unattributed calls per pool, all time (for the metrics counter).
    public func unattributedCalls() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try connection.execute("""
            SELECT account, pool, count(*) FROM call_attribution WHERE attribution = 'unattributed' GROUP BY account, pool
            """).rows {
            out["\(r[0] ?? "")/\(r[1] ?? "")"] = Int(r[2] ?? "0") ?? 0
        }
        return out
    }
}
