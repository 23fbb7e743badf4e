import Foundation
import Postgres

/// The durable webhook outbox (`webhook_outbox`, migration 304) on one blocking connection.
///
/// Filling it is one set-based statement per account — "finished calls of the last
/// `lookback` not yet enqueued" — which any node may run at any time: the unique
/// (idempotency key, URL) makes a second run, a second node, or a journal replay that
/// rewrote a call's row add nothing. Draining it claims due rows with
/// `FOR UPDATE SKIP LOCKED` and pushes their due time past the request's timeout in the
/// same statement, so no two workers ever hold one event at once.
public final class WebhookOutbox {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// One claimed event, ready to send.
    public struct Claimed: Sendable, Equatable {
        public var id: Int64
        public var idempotencyKey: String
        public var account: String
        public var event: String
        public var url: String
        public var payload: String
        /// This attempt's number (1 for the first).
        public var attempt: Int
    }

    /// A row as `switchboard webhooks list` shows it.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var idempotencyKey: String
        public var account: String
        public var event: String
        public var url: String
        public var state: String
        public var attempts: Int
        public var nextAttemptAt: String
        public var lastStatus: Int?
        public var lastError: String?
        public var createdAt: String
    }

    /// Enqueues every finished call of `account` started within `lookbackSeconds` that has no
    /// row yet for an endpoint. A call is finished when its row has an end and none of its
    /// legs is still open (a transfer's last leg may end after the inbound one); it is
    /// `call.completed` when an outbound leg was answered, else `call.missed`.
    /// Returns the number of rows added.
    @discardableResult
    public func enqueue(account: String, webhooks: AccountWebhooks, lookbackSeconds: Int) throws -> Int {
        let result = try connection.execute(Self.enqueueSQL, [
            account, Self.arrayLiteral(webhooks.urls), Self.arrayLiteral(webhooks.events.map(\.rawValue)), String(lookbackSeconds),
        ])
        return result.affectedRows
    }

    /// Claims up to `limit` due events. Each claim counts as an attempt (a worker that dies
    /// mid-request used one) and holds the row for `claimSeconds`.
    public func claim(limit: Int, claimSeconds: Int) throws -> [Claimed] {
        try connection.execute("""
        UPDATE webhook_outbox o SET attempts = o.attempts + 1,
               next_attempt_at = clock_timestamp() + make_interval(secs => $2)
        WHERE o.outbox_id IN (
            SELECT outbox_id FROM webhook_outbox
            WHERE state = 'pending' AND next_attempt_at <= clock_timestamp()
            ORDER BY next_attempt_at, outbox_id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING o.outbox_id, o.idempotency_key, o.account, o.event, o.url, o.payload, o.attempts
        """, [String(limit), String(claimSeconds)]).rows.compactMap { r in
            guard let id = r[0].flatMap({ Int64($0) }), let key = r[1], let account = r[2], let event = r[3], let url = r[4],
                  let payload = r[5], let attempt = r[6].flatMap({ Int($0) }) else { return nil }
            return Claimed(id: id, idempotencyKey: key, account: account, event: event, url: url, payload: payload, attempt: attempt)
        }
    }

    /// The receiver answered 2xx. Guarded by the attempt number: only the holder of the
    /// current claim records the outcome.
    public func markDelivered(_ claimed: Claimed, status: Int) throws {
        try connection.execute("""
        UPDATE webhook_outbox SET state = 'delivered', delivered_at = clock_timestamp(), last_status = $3, last_error = NULL
        WHERE outbox_id = $1 AND attempts = $2 AND state = 'pending'
        """, [String(claimed.id), String(claimed.attempt), String(status)])
    }

    /// The attempt failed: due again after the backoff, or dead after the last attempt.
    /// Returns true when the event is now dead.
    @discardableResult
    public func markFailed(_ claimed: Claimed, status: Int?, error: String, policy: WebhookPolicy) throws -> Bool {
        let dead = claimed.attempt >= policy.maxAttempts
        // ±10 % jitter so a receiver back from an outage is not hit by every event at once.
        let wait = Double(policy.backoff(afterAttempt: claimed.attempt)) * Double.random(in: 0.9...1.1)
        try connection.execute("""
        UPDATE webhook_outbox SET state = CASE WHEN $3 THEN 'dead' ELSE 'pending' END,
               next_attempt_at = clock_timestamp() + make_interval(secs => $4), last_status = $5, last_error = $6
        WHERE outbox_id = $1 AND attempts = $2 AND state = 'pending'
        """, [String(claimed.id), String(claimed.attempt), dead ? "true" : "false", String(format: "%.3f", wait),
              status.map(String.init), String(error.prefix(500))])
        return dead
    }

    /// Rows for the CLI, newest first.
    public func list(state: String?, account: String?, limit: Int) throws -> [Entry] {
        try connection.execute("""
        SELECT outbox_id, idempotency_key, account, event, url, state, attempts, \(LeaseStore.iso("next_attempt_at")),
               last_status, last_error, \(LeaseStore.iso("created_at"))
        FROM webhook_outbox WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR account = $2)
        ORDER BY created_at DESC, outbox_id DESC LIMIT $3
        """, [state, account, String(limit)]).rows.map { r in
            Entry(id: Int64(r[0] ?? "0") ?? 0, idempotencyKey: r[1] ?? "", account: r[2] ?? "", event: r[3] ?? "", url: r[4] ?? "",
                  state: r[5] ?? "", attempts: Int(r[6] ?? "0") ?? 0, nextAttemptAt: r[7] ?? "", lastStatus: r[8].flatMap { Int($0) },
                  lastError: r[9], createdAt: r[10] ?? "")
        }
    }

    /// Dead events back to pending with a fresh attempt budget (after the receiver was
    /// fixed). `ids` nil: every dead event of `account` (or of all accounts).
    @discardableResult
    public func retryDead(ids: [Int64]?, account: String?) throws -> Int {
        try connection.execute("""
        UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = clock_timestamp()
        WHERE state = 'dead' AND ($1::bigint[] IS NULL OR outbox_id = ANY($1::bigint[])) AND ($2::text IS NULL OR account = $2)
        """, [ids.map { "{" + $0.map(String.init).joined(separator: ",") + "}" }, account]).affectedRows
    }

    /// Counts by account and state, for the metrics.
    public func counts() throws -> [(account: String, state: String, count: Int)] {
        try connection.execute("SELECT account, state, count(*) FROM webhook_outbox GROUP BY account, state ORDER BY 1, 2").rows.map {
            (account: $0[0] ?? "", state: $0[1] ?? "", count: Int($0[2] ?? "0") ?? 0)
        }
    }

    /// A text[] literal; every element quoted and escaped (URLs may hold commas and quotes).
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// $1 account, $2 URLs, $3 events, $4 lookback seconds.
    static let enqueueSQL = """
    WITH finished AS (
        SELECT a.*, legs.answered_at
        FROM call_attribution a
        CROSS JOIN LATERAL (
            SELECT min(l.answered_at) FILTER (WHERE l.direction = 'outbound') AS answered_at,
                   bool_or(l.ended_at IS NULL) AS open
            FROM call_legs l WHERE l.call_id = a.call_id
        ) legs
        WHERE a.account = $1 AND a.started_at >= now() - make_interval(secs => $4) AND a.ended_at IS NOT NULL
          AND legs.open IS NOT TRUE
    ), events AS (
        SELECT f.*, CASE WHEN f.answered_at IS NOT NULL THEN 'call.completed' ELSE 'call.missed' END AS event,
               f.account || ':' || f.call_id || ':' || CASE WHEN f.answered_at IS NOT NULL THEN 'call.completed' ELSE 'call.missed' END AS idem_key
        FROM finished f
    )
    INSERT INTO webhook_outbox (idempotency_key, account, call_id, event, url, payload)
    SELECT e.idem_key, e.account, e.call_id, e.event, u.url, json_build_object(
        'id', e.idem_key,
        'event', e.event,
        'call', json_build_object(
            'call_id', e.call_id,
            'account', e.account,
            'tracking_number', e.tracking_number,
            'caller_number', e.caller_number,
            'started_at', \(LeaseStore.iso("e.started_at")),
            'answered_at', \(LeaseStore.iso("e.answered_at")),
            'ended_at', \(LeaseStore.iso("e.ended_at")),
            'duration_seconds', GREATEST(0, ceil(extract(epoch FROM e.ended_at - e.started_at)))::int,
            'talk_seconds', CASE WHEN e.answered_at IS NULL THEN 0
                                 ELSE GREATEST(0, ceil(extract(epoch FROM e.ended_at - e.answered_at)))::int END,
            'answered', e.answered_at IS NOT NULL,
            'source', e.source),
        'attribution', json_build_object(
            'kind', e.attribution,
            'pool', e.pool,
            'session_id', e.session_id,
            'visitor_id', e.visitor_id,
            'utm_source', e.utm_source,
            'medium', e.medium,
            'campaign', e.campaign,
            'keyword', e.keyword,
            'utm_content', e.utm_content,
            'click_id', e.click_id,
            'click_id_kind', e.click_id_kind,
            'landing_page', e.landing_page,
            'referrer', e.referrer,
            'first_time_caller', e.first_time_caller)
    )::text
    FROM events e CROSS JOIN unnest($2::text[]) AS u(url)
    WHERE e.event = ANY($3::text[])
      AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.idempotency_key = e.idem_key AND o.url = u.url)
    ON CONFLICT (idempotency_key, url) DO NOTHING
    """
}
