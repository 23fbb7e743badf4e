import Foundation
import LegStore

/// What one close did.
public struct CloseReport: Sendable, Equatable {
    /// nil when there was nothing to close (every account already closed up to `at`).
    public var closeID: Int64?
    public var daysClosed: Int = 0
    public var legsRated: Int = 0
    public var usageCharges: Int = 0
    /// Sum of the usage lines written, per currency, in minor units.
    public var usageAmount: [String: Int64] = [:]
    public var renewals: Int = 0
    public var accessEnded: Int = 0
    public var charges: SendReport = SendReport()
}

extension Billing {
    /// One business day to close for one account.
    struct DayToClose {
        var account: String
        var day: LocalDate
        var start: Date
        var end: Date
        /// The account's first pending day also takes every older unrated leg (late ones).
        var first: Bool
    }

    /// The business-day close at `at` (for every account, or one), then sending due charges.
    /// Idempotent: a second run at the same time writes nothing new; a run killed before its
    /// COMMIT leaves nothing behind, so the next run does all of it once.
    @discardableResult
    public func close(at: Date, account: String? = nil) throws -> CloseReport {
        // Before the close's transaction: waits for leg writes in flight, so every leg
        // numbered up to `high` is visible to the close (see LegEndSequence).
        let high = try LegEndSequence.committedHighWater(connection)
        var report = try transaction { () -> CloseReport in
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(Self.closeLockKey)])
            var r = CloseReport()
            r.renewals = try renewDue(at: at, account: account)
            r.accessEnded = try endExpiredAccess(at: at, account: account)
            try rateAndWriteUsage(at: at, account: account, high: high, into: &r)
            if let hook = configuration.beforeCommit { try hook(connection) }
            return r
        }
        report.charges = try sendDueCharges(at: at)
        logger.info("billing close", metadata: [
            "close_id": "\(report.closeID.map(String.init) ?? "-")", "days": "\(report.daysClosed)",
            "legs": "\(report.legsRated)", "usage_charges": "\(report.usageCharges)",
            "renewals": "\(report.renewals)", "charges_sent": "\(report.charges.attempted)",
        ])
        return report
    }

    /// The query plan of the close's rating statement at `at`, executed (EXPLAIN ANALYZE)
    /// and rolled back: for diagnosing a slow close. Changes nothing.
    public func explainClose(at: Date, account: String? = nil) throws -> String {
        let high = try LegEndSequence.committedHighWater(connection)
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("ROLLBACK") }
        let days = try daysToClose(at: at, account: account, high: high)
        guard !days.isEmpty else { return "nothing to close" }
        let closeID = try connection.execute("INSERT INTO closes (at, account) VALUES ($1, $2) RETURNING close_id",
                                              [PG.time(at), account]).rows[0][0]!
        let parameters = try rateParameters(closeID: closeID, days: days, at: at, high: high)
        try tuneSession(candidateBound: Self.candidateBound(parameters))
        return try connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + Self.rateSQL, parameters)
            .rows.map { $0[0] ?? "" }.joined(separator: "\n")
    }

    /// Row estimates through the CTEs are poor (the days come from arrays), and merge joins
    /// with big sorts were chosen: hash joins and memory for them, for this transaction only.
    /// JIT off: the statement's (over)estimated cost makes PostgreSQL compile it with
    /// optimisation and inlining, 3.4 s of the 16 s for 1M legs, for no gain.
    ///
    /// work_mem grows with the close (`closeWorkMemPerLeg` bytes per candidate leg, between
    /// `closeWorkMem` and `closeWorkMemMax`): the statement keeps every candidate in
    /// materialised CTEs (legs, priced, freed) and sorts them twice, about 110 MB per
    /// million legs each. At 256 MB a 10M-leg close wrote all of them to temporary files,
    /// and the rate hash join, sized from the (over)estimated number of destinations, was
    /// split into batches, which writes every leg to disk once more.
    func tuneSession(candidateBound: Int64) throws {
        try connection.execute("SET LOCAL enable_mergejoin = off")
        try connection.execute("SET LOCAL jit = off")
        try connection.execute("""
        SELECT set_config('work_mem', (greatest(pg_size_bytes($1), least($2::bigint, pg_size_bytes($3))) / 1024)::text || 'kB', true)
        """, [configuration.closeWorkMem, String(candidateBound.multipliedReportingOverflow(by: Int64(configuration.closeWorkMemPerLeg)).partialValue),
              configuration.closeWorkMemMax])
    }

    /// At most how many legs the rating statement takes as candidates: those numbered
    /// above the lowest floor ($9) up to the bound ($8), or every numbered leg when an
    /// account has no marks yet ($10 not empty). Only sizes work_mem.
    static func candidateBound(_ parameters: [String?]) -> Int64 {
        let high = Int64(parameters[7] ?? "0") ?? 0
        let floor = (parameters[9] ?? "{}") == "{}" ? Int64(parameters[8] ?? "0") ?? 0 : 0
        return max(0, high - floor)
    }

    /// The rating statement's parameters. `$9`, the lowest floor of the accounts being
    /// closed, and `$10`, the accounts without marks, are passed as values (not computed in
    /// the statement) so the planner sees how much of call_legs the scans cover: a few new
    /// accounts are index lookups, 10,000 of them one sequential scan (a nested loop of
    /// per-account bitmap scans over 1M legs took longer than all the rating).
    func rateParameters(closeID: String, days: [DayToClose], at: Date, high: Int64) throws -> [String?] {
        let accounts = PG.array(Array(Set(days.map(\.account))).sorted())
        let row = try connection.execute("""
        SELECT coalesce(min(m.floor_seq), $2), array_remove(array_agg(a ORDER BY a) FILTER (WHERE m.account IS NULL), NULL)
        FROM unnest($1::text[]) a LEFT JOIN rating_marks m ON m.account = a
        """, [accounts, String(high)]).rows[0]
        return [closeID, PG.array(days.map(\.account)), PG.array(days.map { $0.day.description }),
                PG.array(days.map { PG.time($0.start) }), PG.array(days.map { PG.time($0.end) }),
                PG.array(days.map { $0.first ? "t" : "f" }), PG.time(at), String(high), row[0] ?? String(high), row[1] ?? "{}"]
    }

    /// Cancelled subscriptions past their paid term: access ends.
    func endExpiredAccess(at: Date, account: String?) throws -> Int {
        try connection.execute("""
        UPDATE accounts a SET status = 'ended'
        FROM subscriptions s
        WHERE s.account = a.name AND a.status <> 'ended' AND s.access_until IS NOT NULL AND s.access_until <= $1
          AND ($2::text IS NULL OR a.name = $2)
        """, [PG.time(at), account]).affectedRows
    }

    /// The days each account has to close at `at` (computed in its own timezone).
    /// `high`: the close's end-sequence bound (only legs numbered up to it count).
    func daysToClose(at: Date, account: String?, high: Int64) throws -> [DayToClose] {
        // Whether legs are left to rate matters only for accounts whose access ended.
        let rows = try connection.execute("""
        SELECT a.name, a.timezone, a.business_day_cutoff::text, \(PG.micros("a.created_at")),
               (SELECT max(u.business_day) FROM usage_days u WHERE u.account = a.name)::text,
               a.status,
               a.status = 'ended' AND EXISTS (
                   SELECT 1 FROM call_legs l
                   WHERE l.account = a.name AND l.end_seq > coalesce(m.floor_seq, 0) AND l.end_seq <= $3
                     AND l.ended_at < $1
                     AND NOT EXISTS (SELECT 1 FROM leg_ratings r WHERE r.end_seq = l.end_seq)),
               \(PG.micros("s.access_until"))
        FROM accounts a LEFT JOIN rating_marks m ON m.account = a.name LEFT JOIN subscriptions s ON s.account = a.name
        WHERE $2::text IS NULL OR a.name = $2
        ORDER BY a.name
        """, [PG.time(at), account, String(high)]).rows
        var days: [DayToClose] = []
        for row in rows {
            let name = row[0]!
            guard let cal = BusinessCalendar(timeZone: row[1]!, cutoff: row[2]!) else {
                logger.error("account has an invalid timezone or cut-off; not closed", metadata: ["account": "\(name)"])
                continue
            }
            var lastEnded = cal.lastEndedDay(at: at)
            let unrated = row[6] == "t"
            if row[5] == "ended" {
                // Access over: its business days up to the one in which access ended are
                // closed like any others (a close that runs late writes the same lines as
                // daily ones); after that only late legs are left, on one line.
                let lastAccessDay = PG.date(micros: row[7]).map { cal.businessDay(containing: $0.addingTimeInterval(-0.000_001)) }
                let closed = row[4].flatMap(LocalDate.init)
                if let lastAccessDay, closed.map({ $0 < lastAccessDay }) ?? true {
                    lastEnded = min(lastEnded, lastAccessDay)
                } else {
                    guard unrated else { continue }
                    if let closed, closed >= lastEnded { continue }
                    days.append(DayToClose(account: name, day: lastEnded, start: cal.start(of: lastEnded), end: cal.end(of: lastEnded), first: true))
                    continue
                }
            }
            var day: LocalDate
            if let closed = row[4].flatMap(LocalDate.init) {
                day = cal.next(closed)
            } else {
                day = cal.businessDay(containing: PG.date(micros: row[3]) ?? at)
            }
            var first = true
            for _ in 0..<configuration.maxDaysPerClose {
                guard day <= lastEnded else { break }
                days.append(DayToClose(account: name, day: day, start: cal.start(of: day), end: cal.end(of: day), first: first))
                first = false
                day = cal.next(day)
            }
        }
        return days
    }

    /// Rates every unrated leg of the pending days in one statement and writes the usage
    /// lines, usage charges and ledger entries (inside the caller's transaction).
    func rateAndWriteUsage(at: Date, account: String?, high: Int64, into report: inout CloseReport) throws {
        let days = try daysToClose(at: at, account: account, high: high)
        guard !days.isEmpty else { return }
        let closeID = try connection.execute("INSERT INTO closes (at, account) VALUES ($1, $2) RETURNING close_id",
                                              [PG.time(at), account]).rows[0][0]!
        let parameters = try rateParameters(closeID: closeID, days: days, at: at, high: high)
        try tuneSession(candidateBound: Self.candidateBound(parameters))
        let r = try connection.execute(Self.rateSQL, parameters)
        let row = r.rows[0]
        report.closeID = Int64(closeID)
        report.legsRated = Int(row[0] ?? "0") ?? 0
        report.daysClosed = Int(row[1] ?? "0") ?? 0
        report.usageCharges = Int(row[2] ?? "0") ?? 0
        for pair in (row[3] ?? "").split(separator: ";") where !pair.isEmpty {
            let p = pair.split(separator: "=")
            if p.count == 2, let v = Int64(p[1]) { report.usageAmount[String(p[0])] = v }
        }
        try connection.execute("UPDATE closes SET legs_rated = $2, days_closed = $3 WHERE close_id = $1",
                               [closeID, String(report.legsRated), String(report.daysClosed)])
    }

    /// The rating statement. $1 close id; $2–$6 the days to close (account, business day,
    /// start, end, first-of-account) as parallel arrays; $7 the close time; $8 the close's
    /// end-sequence bound (`LegEndSequence.committedHighWater`); $9 the lowest
    /// `rating_marks.floor_seq` of the accounts closed ($8 if none has one); $10 the
    /// accounts closed that have no marks yet.
    ///
    /// - candidates: the closed accounts' legs numbered in (floor, $8] — one range scan of
    ///   the end sequence — or, for an account never closed since migration 102, all its
    ///   numbered legs. Legs above the account's `high_seq` were never seen by a close; the
    ///   others (a day not yet over, a late leg, a missing rate) are checked against
    ///   leg_ratings. call_legs is only read. An agent's own leg into us (direction
    ///   'agent', issue 15) is never a candidate: its call is billed once, by its dialled
    ///   leg at the outbound rates.
    /// - legs: each candidate with its business day (ended in [start, end), or before end on
    ///   the account's first pending day; NULL if none: it stays unrated), its duration
    ///   (ceil of whole seconds from answer to end; 0 unanswered), the plan of the term in
    ///   force when it ended, and its destination (outbound: the E.164 number of its
    ///   tel:/sip: target; inbound: the tracking number dialled; '' when there is none).
    /// - rates are looked up once per distinct (plan, direction, target) — the E.164
    ///   extraction (a regex) and the longest-prefix lookup run on those few rows, which
    ///   are then hash-joined back (a lookup per leg would be 10 M regexes and lookups).
    /// - included minutes: a monthly allowance (calendar month of the business day) whose
    ///   size on each day is the plan in force when that day starts (not the
    ///   subscription's plan when the close runs); used, in leg end order, by the billed
    ///   seconds of legs whose rate is `included`; the straddling leg is charged for its
    ///   excess only. Each line keeps what its legs used (`included_used_seconds`).
    ///   A day's allowance left (its plan's seconds less what the month's earlier lines
    ///   used) travels with the day in `calendars`, so a leg gets it by the same array index
    ///   as its day: no join per leg to the allowances.
    /// - legs whose plan has no matching rate stay unrated (rated after the rates are fixed).
    /// - rated: one leg_ratings row per leg (its primary key, end_seq, refuses a second);
    ///   the lines' sums are taken from the same rows (`freed`) in one pass, not from the
    ///   insert's RETURNING (which would keep all 10M returned rows in memory once more);
    ///   marks: per account, the new floor (just below its lowest candidate left unrated,
    ///   or $8) and high ($8), never moved down.
    static let rateSQL = """
    WITH days AS (
        SELECT * FROM unnest($2::text[], $3::date[], $4::timestamptz[], $5::timestamptz[], $6::boolean[])
            AS d(account, business_day, day_start, day_end, first)
    ),
    marks AS MATERIALIZED (
        SELECT a.account, m.floor_seq, m.high_seq
        FROM (SELECT DISTINCT account FROM days) a LEFT JOIN rating_marks m USING (account)
    ),
    candidates AS (
        SELECT l.leg_id, l.end_seq, l.account, l.direction, l.tracking_number, l.target, l.answered_at, l.ended_at,
               m.high_seq
        FROM call_legs l JOIN marks m ON m.account = l.account AND l.end_seq > m.floor_seq
        WHERE l.end_seq > $9::bigint AND l.end_seq <= $8::bigint AND l.direction IS DISTINCT FROM 'agent'
        UNION ALL
        SELECT l.leg_id, l.end_seq, l.account, l.direction, l.tracking_number, l.target, l.answered_at, l.ended_at,
               NULL::bigint
        FROM call_legs l
        WHERE l.account = ANY($10::text[]) AND l.end_seq <= $8::bigint AND l.direction IS DISTINCT FROM 'agent'
    ),
    day_allowances AS MATERIALIZED (
        -- each day's allowance: the included minutes of the plan in force when the day
        -- starts (the term then; a day in which the account started, its first term),
        -- whenever the close runs (terms are history, the subscription's plan is not)
        SELECT d.account, d.business_day, date_trunc('month', d.business_day) AS month,
               coalesce(p.included_minutes, 0)::bigint * 60 AS seconds
        FROM days d
        LEFT JOIN LATERAL (SELECT t.plan_id FROM subscription_terms t
                           WHERE t.account = d.account AND t.term_start < d.day_end
                           ORDER BY (t.term_start <= d.day_start AND d.day_start < t.term_end) DESC, t.term_start DESC
                           LIMIT 1) t ON true
        LEFT JOIN subscriptions s ON s.account = d.account
        LEFT JOIN plans p ON p.plan_id = coalesce(t.plan_id, s.plan_id)
    ),
    allowance AS (
        -- months with an allowance on any day of this close, and how much of the month's
        -- included minutes the lines already written used
        SELECT m.account, m.month,
               coalesce((SELECT sum(u.included_used_seconds) FROM usage_days u WHERE u.account = m.account
                         AND date_trunc('month', u.business_day) = m.month), 0) AS used_before
        FROM (SELECT DISTINCT account, month FROM day_allowances WHERE seconds > 0) m
    ),
    calendars AS MATERIALIZED (
        -- per account, its days to close and its terms as sorted arrays: a leg finds its day
        -- and its term by binary search (width_bucket) after ONE hash join on the account.
        -- Joining days and terms per leg (ranges as join filters) cost as much, but the
        -- planner, knowing nothing of the days' arrays, took each leg for 26 rows, and sized
        -- the rate hash join below for that: in batches (every leg to disk and back) once
        -- work_mem is a tenth of the close (seen at 1M legs with 25 MB). MATERIALIZED keeps
        -- the join of candidates with it estimated at one row per leg.
        SELECT d.account, d.ends, d.starts, d.business_days, d.firsts, d.months, d.allowances_left,
               s.plan_id AS subscription_plan, t.term_starts, t.term_ends, t.term_plans
        FROM (SELECT d.account, array_agg(d.day_end ORDER BY d.day_end) AS ends, array_agg(d.day_start ORDER BY d.day_end) AS starts,
                     array_agg(d.business_day ORDER BY d.day_end) AS business_days, array_agg(d.first ORDER BY d.day_end) AS firsts,
                     array_agg(da.month ORDER BY d.day_end) AS months,
                     -- NULL: no allowance in the day's month
                     array_agg(da.seconds - a.used_before ORDER BY d.day_end) AS allowances_left
              FROM days d
              JOIN day_allowances da ON da.account = d.account AND da.business_day = d.business_day
              LEFT JOIN allowance a ON a.account = d.account AND a.month = da.month
              GROUP BY d.account) d
        LEFT JOIN subscriptions s ON s.account = d.account
        -- ties on term_start: the longer term last, where width_bucket lands
        LEFT JOIN LATERAL (SELECT array_agg(term_start ORDER BY term_start, term_end) AS term_starts,
                                  array_agg(term_end ORDER BY term_start, term_end) AS term_ends,
                                  array_agg(plan_id ORDER BY term_start, term_end) AS term_plans
                           FROM subscription_terms t WHERE t.account = d.account) t ON true
    ),
    legs AS (
        -- k: the first day ending after the leg (days do not overlap, so the only one that
        -- can hold it); tk: the last term starting at or before it (terms do not overlap).
        SELECT c.leg_id, c.end_seq, c.account, c.direction, c.ended_at,
               y.business_day, CASE WHEN y.business_day IS NOT NULL THEN a.months[y.k] END AS month,
               CASE WHEN y.business_day IS NOT NULL THEN a.allowances_left[y.k] END AS allowance_left,
               CASE WHEN c.answered_at IS NULL OR c.ended_at <= c.answered_at THEN 0
                    ELSE ceil(extract(epoch FROM c.ended_at - c.answered_at))::int END AS duration,
               coalesce(CASE WHEN y.tk > 0 AND c.ended_at < a.term_ends[y.tk] THEN a.term_plans[y.tk] END,
                        a.subscription_plan) AS plan_id,
               coalesce(CASE WHEN c.direction = 'inbound' THEN c.tracking_number ELSE c.target END, '') AS dest_key
        FROM candidates c
        LEFT JOIN calendars a ON a.account = c.account
        -- OFFSET 0: evaluated once per leg (a flattened subquery's expressions are copied into
        -- every reference: k and tk were computed 4 and 3 times per leg, business_day 3 times)
        CROSS JOIN LATERAL (SELECT x.k, x.tk, CASE WHEN x.k <= cardinality(a.ends) AND (a.firsts[x.k] OR c.ended_at >= a.starts[x.k])
                                                  THEN a.business_days[x.k] END AS business_day
                            FROM (SELECT width_bucket(c.ended_at, a.ends) + 1 AS k, width_bucket(c.ended_at, a.term_starts) AS tk
                                  OFFSET 0) x
                            OFFSET 0) y
        WHERE c.high_seq IS NULL OR c.end_seq > c.high_seq
           OR NOT EXISTS (SELECT 1 FROM leg_ratings r WHERE r.end_seq = c.end_seq)
    ),
    dests AS MATERIALIZED (
        SELECT plan_id, direction, dest_key,
               CASE WHEN direction = 'inbound' THEN coalesce(substring(dest_key FROM '^\\+[0-9]+'), '')
                    ELSE coalesce(substring(dest_key FROM '(?i)^(?:tel:|sips?:)?(\\+[0-9]+)'), '') END AS dest
        FROM (SELECT DISTINCT plan_id, direction, dest_key FROM legs
              WHERE plan_id IS NOT NULL AND business_day IS NOT NULL) k
    ),
    dest_rates AS MATERIALIZED (
        SELECT x.plan_id, x.direction, x.dest_key, r.price_per_minute_micros AS price, r.first_increment,
               r.next_increment, r.minimum_seconds, r.included
        FROM dests x
        JOIN LATERAL (SELECT * FROM rates r WHERE r.plan_id = x.plan_id AND r.direction = x.direction
                      AND starts_with(x.dest, r.prefix) ORDER BY length(r.prefix) DESC LIMIT 1) r ON true
    ),
    priced AS (
        -- every candidate; `ratable` false for those left unrated (no day yet, no rate)
        SELECT l.end_seq, l.leg_id, l.account, l.business_day, l.month, l.allowance_left, l.ended_at, r.included, r.price,
               l.business_day IS NOT NULL AND r.price IS NOT NULL AS ratable,
               CASE WHEN l.duration <= 0 THEN 0
                    WHEN greatest(l.duration, r.minimum_seconds) <= r.first_increment THEN r.first_increment
                    ELSE r.first_increment + ((greatest(l.duration, r.minimum_seconds) - r.first_increment
                         + r.next_increment - 1) / r.next_increment) * r.next_increment END AS billed
        FROM legs l LEFT JOIN dest_rates r USING (plan_id, direction, dest_key)
    ),
    freed AS (
        -- only legs that can use an allowance go through the window (its sort): a leg is
        -- free for what its day's allowance leaves after the billed seconds of the month's
        -- earlier included legs
        SELECT p.*,
               greatest(0::bigint, least(p.billed::bigint, p.allowance_left
                   - (sum(p.billed) OVER (PARTITION BY p.account, p.month
                                          ORDER BY p.business_day, p.ended_at, p.leg_id) - p.billed)))::bigint AS free_s
        FROM priced p
        WHERE p.ratable AND p.included AND p.billed > 0 AND p.allowance_left IS NOT NULL
        UNION ALL
        SELECT p.*, 0::bigint
        FROM priced p
        WHERE p.ratable AND NOT (p.included AND p.billed > 0 AND p.allowance_left IS NOT NULL)
    ),
    rated AS (
        INSERT INTO leg_ratings (end_seq, close_id, micros, account, business_day, rated_seconds, free_seconds)
        SELECT f.end_seq, $1, ((f.billed - f.free_s) * f.price + 30) / 60, f.account, f.business_day, f.billed, f.free_s
        FROM freed f
        -- in key order the primary key's inserts append to its right edge: 1M inserts in
        -- random order took 5.3 s here, in order 2.5 s (including the sort)
        ORDER BY f.end_seq
    ),
    marks_moved AS (
        INSERT INTO rating_marks (account, floor_seq, high_seq, close_id)
        SELECT m.account, greatest(coalesce(m.floor_seq, 0), coalesce(o.first_left - 1, $8::bigint)),
               greatest(coalesce(m.high_seq, 0), $8::bigint), $1
        FROM marks m
        LEFT JOIN (SELECT account, min(end_seq) AS first_left FROM priced WHERE NOT ratable GROUP BY account) o
            ON o.account = m.account
        ON CONFLICT (account) DO UPDATE SET floor_seq = EXCLUDED.floor_seq, high_seq = EXCLUDED.high_seq,
                                            close_id = EXCLUDED.close_id
        RETURNING 1
    ),
    sums AS (
        -- what `rated` inserts (it inserts every row of freed or fails), with the included
        -- minutes used, in one pass
        SELECT account, business_day, count(*) AS legs, sum(billed) AS billed, sum(free_s) AS free_s,
               sum(((billed - free_s) * price + 30) / 60) AS micros,
               sum(billed) FILTER (WHERE included AND billed > 0) AS included_used
        FROM freed GROUP BY account, business_day
    ),
    lines AS (
        INSERT INTO usage_days (account, business_day, day_start, day_end, close_id, legs, billed_seconds,
                                included_seconds, included_used_seconds, amount_micros, amount, currency, charge_id)
        SELECT d.account, d.business_day, d.day_start, d.day_end, $1, coalesce(s.legs, 0), coalesce(s.billed, 0),
               coalesce(s.free_s, 0), coalesce(s.included_used, 0), coalesce(s.micros, 0), v.amount, a.currency,
               CASE WHEN v.amount > 0 THEN md5('usage:' || d.account || ':' || d.business_day)::uuid END
        FROM days d
        JOIN accounts a ON a.name = d.account
        LEFT JOIN sums s ON s.account = d.account AND s.business_day = d.business_day
        CROSS JOIN LATERAL (SELECT div(coalesce(s.micros, 0) + 500000, 1000000)::bigint AS amount) v
        ON CONFLICT (account, business_day) DO NOTHING
        RETURNING *
    ),
    usage_charges AS (
        INSERT INTO charges (charge_id, account, kind, amount, currency, description, created_at, business_day)
        SELECT charge_id, account, 'usage', amount, currency, 'Usage ' || business_day, $7, business_day
        FROM lines WHERE charge_id IS NOT NULL
        ON CONFLICT (charge_id) DO NOTHING
        RETURNING charge_id
    ),
    entries AS (
        INSERT INTO ledger (at, account, kind, amount, currency, charge_id, description)
        SELECT $7, account, 'usage', amount, currency, charge_id, 'Usage ' || business_day
        FROM lines WHERE charge_id IS NOT NULL
        ON CONFLICT (charge_id, kind) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT coalesce(sum(legs), 0) FROM sums), (SELECT count(*) FROM lines), (SELECT count(*) FROM usage_charges),
           (SELECT string_agg(currency || '=' || total, ';') FROM
               (SELECT currency, sum(amount) AS total FROM lines GROUP BY currency) t),
           (SELECT count(*) FROM entries), (SELECT count(*) FROM marks_moved)
    """
}
