import Postgres

/// The leg store's schema, as an ordered list of migrations (`Postgres.Migration`).
public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "calls and call legs", sql: """
        CREATE TABLE calls (
            call_id          uuid PRIMARY KEY,
            account          text,
            tracking_number  text,
            source           text,
            caller_number    text,
            started_at       timestamptz,
            ended_at         timestamptz
        );
        CREATE INDEX calls_account_started ON calls (account, started_at);

        -- Columns other than the keys are nullable: a batch may carry only a leg's later
        -- events (its created event was committed by an earlier batch), and the upsert
        -- merges them into the existing row.
        CREATE TABLE call_legs (
            leg_id            uuid PRIMARY KEY,
            call_id           uuid NOT NULL,
            account           text,
            tracking_number   text,
            source            text,
            direction         text CHECK (direction IN ('inbound', 'outbound')),
            target            text,
            sip_call_id       text,
            caller_number     text,
            created_at        timestamptz,
            ringing_at        timestamptz,
            answered_at       timestamptz,
            ended_at          timestamptz,
            final_status      int,
            end_reason        text,
            billable_seconds  int,
            -- The node whose writer recorded the leg: on restart a node closes only its own
            -- open legs, never those of another node sharing the database.
            node              text,
            -- Set by the billing close when it rates the leg (reserved for billing).
            rated_by_close    bigint
        );
        -- The billing close: ended legs not yet rated, per account, in time order.
        CREATE INDEX call_legs_unrated ON call_legs (account, ended_at)
            WHERE rated_by_close IS NULL AND ended_at IS NOT NULL;
        -- Exports and reports: one account's legs over a time range.
        CREATE INDEX call_legs_account_created ON call_legs (account, created_at);
        CREATE INDEX call_legs_call ON call_legs (call_id);
        -- Closing legs left open by a crash, per node.
        CREATE INDEX call_legs_open ON call_legs (node) WHERE ended_at IS NULL;
        """),
        // Why: marking rated legs (`UPDATE call_legs SET rated_by_close`) rewrote every wide
        // row and its random-UUID index entries: 602 s for a 10M-leg close. Billing now
        // keeps its ratings in its own append-only table and finds unrated legs by this
        // number instead (see `LegEndSequence`). The old partial index named
        // `rated_by_close`, which no longer changes, so it would only grow: dropped.
        Migration(version: 2, name: "call legs: end sequence for billing", sql: """
        ALTER TABLE call_legs ADD COLUMN end_seq bigint;
        CREATE SEQUENCE call_legs_end_seq AS bigint;
        -- Legs ended but not yet rated by the old marking get a number now; legs it already
        -- rated keep none, so nothing can rate them again.
        UPDATE call_legs SET end_seq = nextval('call_legs_end_seq')
        WHERE ended_at IS NOT NULL AND rated_by_close IS NULL;
        CREATE UNIQUE INDEX call_legs_end_seq_key ON call_legs (end_seq) WHERE end_seq IS NOT NULL;
        DROP INDEX call_legs_unrated;

        -- Numbers each leg once, when it is first stored as ended (an INSERT with ended_at,
        -- or the UPDATE that sets it), whoever writes it: the leg writer, a replay, a
        -- script. The shared advisory lock (key 6075687767, held to the end of the writing
        -- transaction) lets a reader wait until every number handed out so far is
        -- committed (LegEndSequence.committedHighWater).
        CREATE FUNCTION call_legs_number_end() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(6075687767);
            NEW.end_seq := nextval('call_legs_end_seq');
            RETURN NEW;
        END $f$;
        CREATE TRIGGER call_legs_number_end BEFORE INSERT OR UPDATE ON call_legs FOR EACH ROW
            WHEN (NEW.ended_at IS NOT NULL AND NEW.end_seq IS NULL AND NEW.rated_by_close IS NULL)
            EXECUTE FUNCTION call_legs_number_end();

        -- A close of an older version marking legs here would rate them a second time
        -- (ratings are in billing's leg_ratings now): refuse it loudly instead.
        CREATE FUNCTION call_legs_refuse_marking() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            RAISE EXCEPTION 'call_legs.rated_by_close is no longer written (migration 2): upgrade this node'
                USING ERRCODE = '55000';
        END $f$;
        CREATE TRIGGER call_legs_refuse_marking BEFORE UPDATE OF rated_by_close ON call_legs FOR EACH ROW
            WHEN (OLD.rated_by_close IS DISTINCT FROM NEW.rated_by_close)
            EXECUTE FUNCTION call_legs_refuse_marking();
        """),
        // Issue 15 item 4: agents place calls. Both legs of such a call name the agent; the
        // agent's own leg into us has direction 'agent' (the call's origin: billing rates
        // the dialled leg, direction 'outbound', at the account's outbound rates, never the
        // agent's leg as well).
        Migration(version: 3, name: "call legs: the agent of an agent's call", sql: """
        ALTER TABLE call_legs ADD COLUMN agent text;
        ALTER TABLE call_legs DROP CONSTRAINT call_legs_direction_check;
        ALTER TABLE call_legs ADD CONSTRAINT call_legs_direction_check
            CHECK (direction IN ('inbound', 'outbound', 'agent'));
        CREATE INDEX call_legs_agent ON call_legs (agent, created_at) WHERE agent IS NOT NULL;
        """),
    ]
}