import LegStore
import Postgres

/// The billing schema: its own ordered list of migrations, versions from 100 up so they never
/// collide with the leg store's (1…99). Applied by the leg store's `Migrator` after its own
/// (`Billing.allMigrations`). Append new ones; never edit one that has shipped.
///
/// Money: every amount is an integer in the currency's minor unit (cents) — `bigint`, never
/// a float. Per-minute prices need sub-cent precision, so rates hold
/// `price_per_minute_micros`: millionths of a minor unit per minute (1.25 ¢/min = 1 250 000).
/// A leg's cost is kept in those micro-units (`leg_ratings.micros`, rounded half up per
/// leg; `call_legs.rated_micros` before migration 102); a day's amount in minor units is the sum of its legs' micro-units rounded half up
/// once.
public enum BillingMigrations {
    public static let all: [Migration] = [
        Migration(version: 100, name: "billing: plans, rates, accounts, subscriptions, payment methods", sql: """
        CREATE TABLE plans (
            plan_id              text PRIMARY KEY,
            name                 text NOT NULL,
            currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            -- false on pay-as-you-go: no access fee at renewal
            has_access_fee       boolean NOT NULL,
            monthly_price        bigint NOT NULL CHECK (monthly_price >= 0),
            annual_price         bigint NOT NULL CHECK (annual_price >= 0),
            -- a monthly allowance (calendar month of the account's business days)
            included_minutes     int NOT NULL DEFAULT 0 CHECK (included_minutes >= 0),
            number_monthly_fee   bigint NOT NULL DEFAULT 0 CHECK (number_monthly_fee >= 0)
        );

        -- Rates per plan, leg direction and destination E.164 prefix ('' = any destination);
        -- the longest matching prefix wins. A leg lasting d seconds is billed
        -- max(d, minimum) rounded up to first_increment, then to next_increment steps.
        CREATE TABLE rates (
            plan_id                  text NOT NULL REFERENCES plans ON DELETE CASCADE,
            direction                text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            prefix                   text NOT NULL CHECK (prefix ~ '^(\\+[0-9]{0,15})?$'),
            price_per_minute_micros  bigint NOT NULL CHECK (price_per_minute_micros >= 0),
            first_increment          int NOT NULL CHECK (first_increment > 0),
            next_increment           int NOT NULL CHECK (next_increment > 0),
            minimum_seconds          int NOT NULL DEFAULT 0 CHECK (minimum_seconds >= 0),
            -- counts against the plan's included minutes
            included                 boolean NOT NULL DEFAULT true,
            PRIMARY KEY (plan_id, direction, prefix)
        );

        INSERT INTO plans VALUES
            ('small-teams',   'Small Teams',   'USD', true,  4500, 45000,  500, 300),
            ('large-teams',   'Large Teams',   'USD', true, 14500, 145000, 5000, 200),
            ('pay-as-you-go', 'Pay as you go', 'USD', false,    0,      0,    0, 300);
        INSERT INTO rates VALUES
            ('small-teams',   'inbound',  '',    3000000,  60, 60,  0, true),
            ('small-teams',   'inbound',  '+1800', 4000000, 60, 60, 0, true),
            ('small-teams',   'outbound', '',   10000000, 60, 60,  0, false),
            ('small-teams',   'outbound', '+1',  2000000,  60, 60,  0, true),
            ('small-teams',   'outbound', '+44', 5000000,  60, 60,  0, false),
            ('large-teams',   'inbound',  '',    2000000,  6,  6,   0, true),
            ('large-teams',   'inbound',  '+1800', 2500000, 6, 6,   0, true),
            ('large-teams',   'outbound', '',    8000000,  30, 6,   0, false),
            ('large-teams',   'outbound', '+1',  1250000,  6,  6,   0, true),
            ('large-teams',   'outbound', '+44', 3500000,  30, 6,   0, false),
            ('pay-as-you-go', 'inbound',  '',    4000000,  60, 60,  0, true),
            ('pay-as-you-go', 'outbound', '',   12000000,  60, 60, 60, true),
            ('pay-as-you-go', 'outbound', '+1',  3000000,  60, 60, 60, true);

        -- Customer accounts; name is the dialplan's account name.
        CREATE TABLE accounts (
            name                 text PRIMARY KEY,
            timezone             text NOT NULL,
            -- the local time at which a business day ends (00:00 = calendar days)
            business_day_cutoff  time NOT NULL DEFAULT '00:00',
            currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            status               text NOT NULL DEFAULT 'active'
                                 CHECK (status IN ('active', 'past_due', 'cancelled', 'ended')),
            processor_customer   text,
            created_at           timestamptz NOT NULL DEFAULT now()
        );

        -- Current subscription (one per account). Terms are counted from `anchor` in the
        -- account's timezone (term n = anchor + n cycles) so month ends never drift.
        CREATE TABLE subscriptions (
            account        text PRIMARY KEY REFERENCES accounts,
            plan_id        text NOT NULL REFERENCES plans,
            cycle          text NOT NULL CHECK (cycle IN ('monthly', 'annual')),
            anchor         timestamptz NOT NULL,
            -- the term number that starts at the anchor (a cycle change re-anchors)
            anchor_term    int NOT NULL DEFAULT 0,
            term_number    int NOT NULL DEFAULT 0,
            term_start     timestamptz NOT NULL,
            term_end       timestamptz NOT NULL,
            auto_renew     boolean NOT NULL DEFAULT true,
            cancelled_at   timestamptz,
            access_until   timestamptz,
            -- a plan change requested through support, applied at the next renewal
            next_plan_id   text REFERENCES plans,
            next_cycle     text CHECK (next_cycle IN ('monthly', 'annual')),
            CHECK (term_end > term_start)
        );

        -- Every term an account had (the plan in force when a leg ended comes from here).
        CREATE TABLE subscription_terms (
            account      text NOT NULL REFERENCES accounts,
            term_number  int NOT NULL,
            term_start   timestamptz NOT NULL,
            term_end     timestamptz NOT NULL,
            plan_id      text NOT NULL REFERENCES plans,
            cycle        text NOT NULL,
            PRIMARY KEY (account, term_number)
        );
        CREATE INDEX subscription_terms_range ON subscription_terms (account, term_start);

        -- Tracking numbers billed per month.
        CREATE TABLE account_numbers (
            account     text NOT NULL REFERENCES accounts,
            number      text NOT NULL CHECK (number ~ '^\\+[1-9][0-9]{1,14}$'),
            added_at    timestamptz NOT NULL DEFAULT now(),
            removed_at  timestamptz,
            PRIMARY KEY (account, number)
        );

        CREATE FUNCTION billing_luhn(digits text) RETURNS boolean
        LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
        DECLARE total int := 0; d int; j int; n int := length(digits);
        BEGIN
            FOR j IN 0..(n - 1) LOOP
                d := ascii(substr(digits, n - j, 1)) - 48;
                IF j % 2 = 1 THEN d := d * 2; IF d > 9 THEN d := d - 9; END IF; END IF;
                total := total + d;
            END LOOP;
            RETURN total % 10 = 0;
        END $f$;

        -- True when s may hold a card number: 12–19 digits passing Luhn, plain, in groups
        -- joined by single spaces or dashes (any span of consecutive groups), or inside a
        -- longer digit run (every 12–19 digit window). Same rule as Swift's CardNumber.
        CREATE FUNCTION billing_contains_pan(s text) RETURNS boolean
        LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
        DECLARE
            run text; groups text[]; acc text; g text;
            i int; j int; w int; k int;
        BEGIN
            FOR run IN SELECT m[1] FROM regexp_matches(s, '([0-9]+(?:[ -][0-9]+)*)', 'g') AS m LOOP
                groups := regexp_split_to_array(run, '[ -]');
                FOR i IN 1..array_length(groups, 1) LOOP
                    acc := '';
                    FOR j IN i..array_length(groups, 1) LOOP
                        acc := acc || groups[j];
                        EXIT WHEN length(acc) > 19;
                        IF length(acc) >= 12 AND billing_luhn(acc) THEN RETURN true; END IF;
                    END LOOP;
                END LOOP;
                FOREACH g IN ARRAY groups LOOP
                    CONTINUE WHEN length(g) <= 19;
                    FOR w IN 12..19 LOOP
                        FOR k IN 1..(length(g) - w + 1) LOOP
                            IF billing_luhn(substr(g, k, w)) THEN RETURN true; END IF;
                        END LOOP;
                    END LOOP;
                END LOOP;
            END LOOP;
            RETURN false;
        END $f$;

        -- The card on file: a processor token only, never a card number.
        CREATE TABLE payment_methods (
            account          text PRIMARY KEY REFERENCES accounts,
            processor_token  text NOT NULL CHECK (length(processor_token) BETWEEN 3 AND 255
                                                  AND NOT billing_contains_pan(processor_token)),
            brand            text NOT NULL CHECK (brand ~ '^[a-z_]{2,20}$'),
            last4            char(4) NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
            exp_month        int NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
            exp_year         int NOT NULL CHECK (exp_year BETWEEN 2000 AND 2100),
            updated_at       timestamptz NOT NULL DEFAULT now()
        );
        """),
        Migration(version: 101, name: "billing: closes, usage days, charges, ledger", sql: """
        -- What the close wrote on each leg (call_legs.rated_by_close names the close).
        ALTER TABLE call_legs ADD COLUMN rated_seconds int,
                              ADD COLUMN rated_free_seconds int,
                              ADD COLUMN rated_micros bigint;

        CREATE TABLE closes (
            close_id      bigserial PRIMARY KEY,
            at            timestamptz NOT NULL,
            account       text,
            started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            legs_rated    bigint NOT NULL DEFAULT 0,
            days_closed   int NOT NULL DEFAULT 0
        );

        -- One line per account and business day: the legs rated by the close of that day
        -- (late legs of earlier days land on the next line).
        CREATE TABLE usage_days (
            account           text NOT NULL REFERENCES accounts,
            business_day      date NOT NULL,
            day_start         timestamptz NOT NULL,
            day_end           timestamptz NOT NULL,
            close_id          bigint NOT NULL REFERENCES closes,
            legs              bigint NOT NULL,
            billed_seconds    bigint NOT NULL,
            included_seconds  bigint NOT NULL,
            amount_micros     numeric NOT NULL,
            amount            bigint NOT NULL CHECK (amount >= 0),
            currency          char(3) NOT NULL,
            charge_id         uuid,
            PRIMARY KEY (account, business_day)
        );

        -- Charges to the card on file. charge_id is the processor's idempotency key (derived
        -- from what is charged, so the same usage day or term can never get two charges).
        CREATE TABLE charges (
            charge_id            uuid PRIMARY KEY,
            account              text NOT NULL REFERENCES accounts,
            kind                 text NOT NULL CHECK (kind IN ('usage', 'access', 'number-fee')),
            amount               bigint NOT NULL CHECK (amount > 0),
            currency             char(3) NOT NULL,
            description          text NOT NULL,
            status               text NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'succeeded', 'failed', 'retrying')),
            attempts             int NOT NULL DEFAULT 0,
            -- definite declines so far: the retry after a decline needs a new idempotency
            -- key (the processor replays a stored decline for a repeated key)
            declines             int NOT NULL DEFAULT 0,
            next_attempt_at      timestamptz NOT NULL DEFAULT '-infinity',
            last_error           text,
            processor_reference  text,
            created_at           timestamptz NOT NULL,
            updated_at           timestamptz NOT NULL DEFAULT now(),
            business_day         date,
            term_number          int
        );
        CREATE INDEX charges_due ON charges (next_attempt_at) WHERE status IN ('pending', 'retrying');
        CREATE INDEX charges_account ON charges (account, created_at);

        -- Append-only ledger: debits (charges raised) positive, payments negative.
        CREATE TABLE ledger (
            entry_id     bigserial PRIMARY KEY,
            at           timestamptz NOT NULL,
            account      text NOT NULL REFERENCES accounts,
            kind         text NOT NULL CHECK (kind IN ('usage', 'access', 'number-fee', 'payment')),
            amount       bigint NOT NULL,
            currency     char(3) NOT NULL,
            charge_id    uuid,
            description  text NOT NULL
        );
        CREATE UNIQUE INDEX ledger_once ON ledger (charge_id, kind);
        CREATE INDEX ledger_account ON ledger (account, at);
        CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            RAISE EXCEPTION 'the ledger is append-only (% refused)', TG_OP USING ERRCODE = '42501';
        END $f$;
        CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
        """),
        // Why: the close used to mark every rated leg in call_legs (602 s for 10M legs, all
        // of it rewriting wide rows and their random-UUID index entries). Ratings now go to
        // a narrow append-only table keyed by the leg's end_seq (leg migration 2), and each
        // account remembers how far its closes got, so unrated legs are found by range.
        Migration(version: 102, name: "billing: leg ratings by end sequence", sql: """
        -- One row per rated leg, written once by the close that rated it. The key is the
        -- leg's end_seq (call_legs_end_seq_key leads back to the leg): unique per leg, so
        -- the database refuses a second rating, and increasing, so inserts append to the
        -- index. Narrow on purpose, with no leg_id index and no foreign keys: a random-UUID
        -- index or a per-row RI check costs more than the rest of the rating.
        CREATE TABLE leg_ratings (
            end_seq        bigint PRIMARY KEY,
            close_id       bigint NOT NULL,
            micros         bigint NOT NULL,
            account        text NOT NULL,
            -- the usage line (account, business_day) the leg is on
            business_day   date NOT NULL,
            rated_seconds  int NOT NULL,
            free_seconds   int NOT NULL
        );

        -- Per account, how far closes have looked along call_legs.end_seq:
        --   floor_seq: every ended leg of the account numbered <= floor_seq is rated;
        --   high_seq:  no close has seen the account's legs numbered above high_seq, so
        --              they cannot be in leg_ratings (only (floor, high] needs a check).
        -- An account without a row has never been closed since this migration: all its
        -- numbered legs are candidates.
        CREATE TABLE rating_marks (
            account    text PRIMARY KEY REFERENCES accounts,
            floor_seq  bigint NOT NULL,
            high_seq   bigint NOT NULL,
            close_id   bigint NOT NULL REFERENCES closes,
            CHECK (floor_seq <= high_seq)
        );

        -- Every rating, whichever way it was stored: before this migration on the leg
        -- (call_legs.rated_by_close …), since in leg_ratings.
        CREATE VIEW rated_legs AS
            SELECT l.leg_id, r.close_id, r.account, r.rated_seconds, r.free_seconds, r.micros
            FROM leg_ratings r JOIN call_legs l ON l.end_seq = r.end_seq
            UNION ALL
            SELECT l.leg_id, l.rated_by_close, l.account, l.rated_seconds, l.rated_free_seconds, l.rated_micros
            FROM call_legs l WHERE l.rated_by_close IS NOT NULL;
        """),
        Migration(version: 103, name: "billing: included minutes used per usage line", sql: """
        -- Billed seconds of the line's legs whose rate is `included`: the month's included
        -- minutes used so far, counted whether or not they were free. A leg's free seconds
        -- are what its business day's allowance leaves after the month's earlier ones, so
        -- the allowance can differ between days of a month (a plan change at a renewal).
        -- Older lines had one allowance per month, for which the free seconds given say
        -- the same (min(used, allowance)).
        ALTER TABLE usage_days ADD COLUMN included_used_seconds bigint NOT NULL DEFAULT 0;
        UPDATE usage_days SET included_used_seconds = included_seconds;
        """),
    ]
}
