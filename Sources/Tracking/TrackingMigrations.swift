import Postgres

/// The call-tracking schema (issue 16), versions 300–309, run by the shared `Migrator` after
/// the leg and billing schemas. Append; never edit a shipped one.
///
/// Lease history is kept, never overwritten: attribution asks "who held this number when the
/// call started?", and a leg written late (journal replay) asks it hours later.
public enum TrackingMigrations {
    public static let all: [Migration] = [
        Migration(version: 300, name: "dni: pool numbers", sql: """
        -- One row per pool number, synced from the dialplans by `switchboard web` at start.
        -- The current lease is denormalised here so choosing a number locks one row:
        -- SELECT … FOR UPDATE SKIP LOCKED over this table is the whole concurrency story.
        CREATE TABLE dni_numbers (
            number            text PRIMARY KEY,
            account           text NOT NULL,
            pool              text NOT NULL,
            -- False once the number left the dialplans: never leased again, history kept.
            in_dialplan       boolean NOT NULL DEFAULT true,
            -- Least recently used first: a number that just expired is chosen last, so a
            -- late caller of the previous visitor is not mixed up with a new one.
            last_leased_at    timestamptz NOT NULL DEFAULT '-infinity',
            current_lease     bigint,
            lease_expires_at  timestamptz,
            lease_seen_at     timestamptz
        );
        CREATE INDEX dni_numbers_pool ON dni_numbers (account, pool, last_leased_at);
        """),
        Migration(version: 301, name: "dni: sessions", sql: """
        CREATE TABLE dni_sessions (
            session_id    uuid PRIMARY KEY,
            account       text NOT NULL,
            pool          text NOT NULL,
            visitor_id    text,
            landing_url   text,
            referrer      text,
            utm_source    text,
            utm_medium    text,
            utm_campaign  text,
            utm_term      text,
            utm_content   text,
            gclid         text,
            gbraid        text,
            wbraid        text,
            msclkid       text,
            created_at    timestamptz NOT NULL DEFAULT now(),
            -- Set when another session took this one's number over (the pool was full).
            taken_over_at timestamptz
        );
        CREATE INDEX dni_sessions_account_created ON dni_sessions (account, created_at);
        """),
        Migration(version: 302, name: "dni: lease history", sql: """
        CREATE TABLE dni_leases (
            lease_id          bigserial PRIMARY KEY,
            session_id        uuid NOT NULL REFERENCES dni_sessions (session_id),
            account           text NOT NULL,
            pool              text NOT NULL,
            number            text NOT NULL,
            started_at        timestamptz NOT NULL,
            last_heartbeat_at timestamptz NOT NULL,
            -- last heartbeat + the idle timeout in force when it was written
            expires_at        timestamptz NOT NULL,
            -- Only a takeover ends a lease early; expiry is expires_at passing.
            ended_at          timestamptz,
            end_reason        text CHECK (end_reason IN ('taken-over')),
            -- The attribution grace in force for this lease (configuration may change later;
            -- a replayed leg must be judged by the rule of its day).
            grace             interval NOT NULL
        );
        CREATE INDEX dni_leases_number_started ON dni_leases (number, started_at DESC);
        CREATE INDEX dni_leases_session ON dni_leases (session_id);
        """),
        Migration(version: 303, name: "dni: call attribution view", sql: """
        CREATE INDEX calls_account_caller_started ON calls (account, caller_number, started_at);

        -- Every call with its attribution, computed from the lease history at query time:
        -- correct whenever the call's row arrives (live, replayed, on any node).
        --   static:       the number is no pool number; `source` is the number's own.
        --   attributed:   the newest lease of the number started at or before the call's
        --                 start and had not ended (taken over, or expired + grace) by then.
        --   unattributed: a pool number nobody held at that moment.
        -- The newest lease that started before the call is the only candidate: the leases
        -- of one number never overlap, so any older one ended before it began.
        CREATE VIEW call_attribution AS
        SELECT c.call_id, c.account, c.tracking_number, c.caller_number, c.started_at, c.ended_at,
               c.source,
               CASE WHEN n.number IS NULL THEN 'static'
                    WHEN s.session_id IS NULL THEN 'unattributed'
                    ELSE 'attributed' END AS attribution,
               n.pool,
               s.session_id, s.visitor_id,
               s.utm_source, s.utm_medium AS medium, s.utm_campaign AS campaign,
               s.utm_term AS keyword, s.utm_content,
               COALESCE(s.gclid, s.gbraid, s.wbraid, s.msclkid) AS click_id,
               CASE WHEN s.gclid IS NOT NULL THEN 'gclid' WHEN s.gbraid IS NOT NULL THEN 'gbraid'
                    WHEN s.wbraid IS NOT NULL THEN 'wbraid' WHEN s.msclkid IS NOT NULL THEN 'msclkid' END AS click_id_kind,
               s.landing_url AS landing_page, s.referrer,
               CASE WHEN c.caller_number IS NULL THEN NULL
                    ELSE NOT EXISTS (SELECT 1 FROM calls p WHERE p.account = c.account
                                     AND p.caller_number = c.caller_number AND p.started_at < c.started_at) END
                   AS first_time_caller
        FROM calls c
        LEFT JOIN dni_numbers n ON n.number = c.tracking_number AND n.account = c.account
        LEFT JOIN LATERAL (
            SELECT l.session_id, l.ended_at, l.expires_at, l.grace FROM dni_leases l
            WHERE n.number IS NOT NULL AND l.number = c.tracking_number AND l.account = c.account
              AND l.started_at <= c.started_at
            ORDER BY l.started_at DESC, l.lease_id DESC LIMIT 1
        ) l ON true
        LEFT JOIN dni_sessions s ON s.session_id = l.session_id
             AND c.started_at < COALESCE(l.ended_at, l.expires_at + l.grace);
        """),
        Migration(version: 304, name: "webhooks: delivery outbox", sql: """
        -- One row per event and endpoint URL. Filled by `switchboard web`'s enqueue statement
        -- (finished calls not yet enqueued), drained by its delivery worker on any node:
        -- rows are claimed with FOR UPDATE SKIP LOCKED, so two nodes never send one at once.
        -- The idempotency key is account:call_id:event; it travels in the request, and a
        -- receiver that saw it before drops the repeat (delivery is at least once).
        CREATE TABLE webhook_outbox (
            outbox_id        bigserial PRIMARY KEY,
            idempotency_key  text NOT NULL,
            account          text NOT NULL,
            call_id          uuid NOT NULL,
            event            text NOT NULL CHECK (event IN ('call.completed', 'call.missed')),
            url              text NOT NULL,
            -- The JSON body, frozen at enqueue time: every attempt signs the same bytes.
            payload          text NOT NULL,
            state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
            attempts         int NOT NULL DEFAULT 0,
            -- Due time; while an attempt is in flight, the end of its claim (a worker that
            -- died mid-request leaves the row to be retried after it).
            next_attempt_at  timestamptz NOT NULL DEFAULT now(),
            last_status      int,
            last_error       text,
            created_at       timestamptz NOT NULL DEFAULT now(),
            delivered_at     timestamptz,
            UNIQUE (idempotency_key, url)
        );
        CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE state = 'pending';
        CREATE INDEX webhook_outbox_account_state ON webhook_outbox (account, state, created_at);
        """),
    ]
}
