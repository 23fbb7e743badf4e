/// The schema, as an ordered list of migrations. Append new ones; never edit one that has
/// shipped (databases record the versions they ran, not the text).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Public so other modules (billing) can keep their own ordered lists.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

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
    ]
}
