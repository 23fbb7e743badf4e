import Foundation
import Postgres

/// What each account's agents have spent on their own calls in the current business day
/// (issue 15 item 4: the per-account spend limit), for `AccessCache` to hold in memory.
///
/// An estimate meant to stop runaway spend, not the bill: every outbound leg of an agent's
/// call created since the account's business day began (its timezone and cut-off), priced
/// with the outbound rate of the account's current plan by longest destination prefix and
/// the rate's increments — the rules of docs/billing.md — and at full price even where the
/// rate counts against included minutes (so it can only overstate). A call still in
/// progress counts up to now, so one long call cannot run past the limit unnoticed for
/// longer than a refresh.
public enum OutboundSpend {
    /// account → micro-units of the minor unit spent today; accounts with a subscription
    /// and no such legs are present with 0 (an account absent has no plan to price with).
    public static func spentToday(_ connection: PostgresConnection) throws -> [String: Int64] {
        var spent: [String: Int64] = [:]
        for row in try connection.execute(sql).rows {
            guard let account = row[0] else { continue }
            spent[account] = Int64(row[1] ?? "0") ?? 0
        }
        return spent
    }

    static let sql = """
    WITH acc AS (
        SELECT a.name, s.plan_id,
               (date_trunc('day', (now() AT TIME ZONE a.timezone) - a.business_day_cutoff) + a.business_day_cutoff)
                   AT TIME ZONE a.timezone AS day_start
        FROM accounts a JOIN subscriptions s ON s.account = a.name
    ),
    legs AS (
        SELECT l.account, acc.plan_id, coalesce(substring(l.target FROM '^tel:(\\+[0-9]+)'), '') AS dest,
               CASE WHEN l.answered_at IS NULL THEN 0
                    ELSE greatest(0, ceil(extract(epoch FROM coalesce(l.ended_at, now()) - l.answered_at)))::int END AS d
        FROM call_legs l JOIN acc ON acc.name = l.account
        WHERE l.direction = 'outbound' AND l.agent IS NOT NULL AND l.created_at >= acc.day_start
    ),
    priced AS (
        SELECT l.account,
               CASE WHEN l.d <= 0 OR r.price IS NULL THEN 0
                    ELSE ((CASE WHEN greatest(l.d, r.minimum_seconds) <= r.first_increment THEN r.first_increment
                                ELSE r.first_increment + ((greatest(l.d, r.minimum_seconds) - r.first_increment
                                     + r.next_increment - 1) / r.next_increment) * r.next_increment END)::bigint
                          * r.price + 30) / 60 END AS micros
        FROM legs l
        LEFT JOIN LATERAL (SELECT price_per_minute_micros AS price, first_increment, next_increment, minimum_seconds
                           FROM rates r WHERE r.plan_id = l.plan_id AND r.direction = 'outbound'
                           AND starts_with(l.dest, r.prefix) ORDER BY length(r.prefix) DESC LIMIT 1) r ON true
    )
    SELECT acc.name, coalesce((SELECT sum(p.micros) FROM priced p WHERE p.account = acc.name), 0)::bigint FROM acc
    """
}
