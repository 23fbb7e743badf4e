import Foundation

/// The SQL of one writer batch. The batch's events, folded into one row per leg in Swift
/// (`LegBatchRow`), are COPYed into a per-connection staging table and upserted by one
/// statement: COPY is the fastest way in, and merging in SQL keeps replays idempotent
/// without reading rows back.
enum LegBatchSQL {
    private static let originColumns = ["account", "tracking_number", "source", "direction", "target", "sip_call_id", "caller_number",
                                        "agent"]

    static let createStage = """
    CREATE TEMP TABLE IF NOT EXISTS leg_rows_stage (
        leg_id uuid, call_id uuid,
        \(originColumns.map { "\($0) text" }.joined(separator: ", ")),
        created_us bigint, ringing_us bigint, answered_us bigint, ended_us bigint,
        final_status int, end_reason text
    ) ON COMMIT DELETE ROWS
    """

    static let copyStage = "COPY leg_rows_stage FROM STDIN"

    /// Opens a batch's transaction. The merge numbers ended legs itself (`end_seq`, below),
    /// so it takes the shared lock migration 2's trigger would take per row
    /// (`LegEndSequence`), once, before the first number is drawn.
    static let begin = "BEGIN; SELECT pg_advisory_xact_lock_shared(\(LegEndSequence.lockKey))"

    private static func ts(_ column: String) -> String { "timestamptz 'epoch' + \(column) * interval '1 microsecond'" }

    /// $1 = node id. One statement per batch: upsert the staged rows (one per leg), and
    /// upsert the calls of inbound legs from the upsert's RETURNING. Against the table a
    /// known value is never replaced, so replaying any batch leaves the row as it was.
    /// No statement joins the table to the stage: the temp table has no statistics and such
    /// joins were planned as scans of all of call_legs (measured: 120 ms per batch at 50k
    /// legs, growing with the table).
    ///
    /// `end_seq` is assigned here, set-based, rather than by migration 2's per-row plpgsql
    /// trigger (which stays for every other writer, and whose WHEN skips rows numbered
    /// here): a row stored as ended for the first time gets a number (a new row that is
    /// ended, or an open row this batch ends); a row already ended keeps what it has (a
    /// number, or none if the old marking rated it). Numbers drawn for proposed rows that
    /// then conflict are skipped, as the trigger's INSERT-then-UPDATE firing skipped them.
    static let merge: String = {
        let keep = (originColumns + ["created_at", "ringing_at", "answered_at", "ended_at", "end_reason", "node"])
            .map { "\($0) = COALESCE(call_legs.\($0), EXCLUDED.\($0))" }
        let ended = "COALESCE(call_legs.ended_at, EXCLUDED.ended_at)", answered = "COALESCE(call_legs.answered_at, EXCLUDED.answered_at)"
        let callColumns = ["account", "tracking_number", "source", "caller_number", "started_at", "ended_at"]
        // An update that would fill no NULL leaves the call as it is: skip it rather than
        // write a new row version and its index entries (most later batches change nothing).
        let fills = callColumns.map { "(calls.\($0) IS NULL AND EXCLUDED.\($0) IS NOT NULL)" }
        return """
        WITH up AS (
            INSERT INTO call_legs (leg_id, call_id, \(originColumns.joined(separator: ", ")),
                                   created_at, ringing_at, answered_at, ended_at, final_status, end_reason,
                                   billable_seconds, node, end_seq)
            SELECT leg_id, call_id, \(originColumns.joined(separator: ", ")),
                   \(ts("created_us")), \(ts("ringing_us")), \(ts("answered_us")), \(ts("ended_us")),
                   final_status, end_reason,
                   -- whole seconds answer → end, a started second counting as one (the
                   -- close's rule, docs/billing.md), so an export and a bill agree; 0 if never
                   -- answered; set once
                   CASE WHEN ended_us IS NULL THEN NULL WHEN answered_us IS NULL THEN 0
                        ELSE GREATEST(0, (ended_us - answered_us + 999999) / 1000000)::int END,
                   $1,
                   CASE WHEN ended_us IS NOT NULL THEN nextval('call_legs_end_seq') END
            FROM leg_rows_stage
            ON CONFLICT (leg_id) DO UPDATE SET
                \(keep.joined(separator: ",\n        ")),
                -- the status travels with the first ended event, like ended_at
                final_status = CASE WHEN call_legs.ended_at IS NULL THEN EXCLUDED.final_status ELSE call_legs.final_status END,
                billable_seconds = COALESCE(call_legs.billable_seconds, CASE
                    WHEN \(ended) IS NULL THEN NULL WHEN \(answered) IS NULL THEN 0
                    ELSE GREATEST(0, ceil(extract(epoch FROM \(ended) - \(answered))))::int END),
                end_seq = COALESCE(call_legs.end_seq, CASE WHEN call_legs.ended_at IS NULL THEN EXCLUDED.end_seq END)
            RETURNING call_id, direction, account, tracking_number, source, caller_number, created_at, ended_at
        )
        -- a call's row follows its inbound leg (an agent's call: the agent's leg)
        INSERT INTO calls (call_id, account, tracking_number, source, caller_number, started_at, ended_at)
        SELECT DISTINCT ON (call_id) call_id, account, tracking_number, source, caller_number, created_at, ended_at
        FROM up WHERE direction IN ('inbound', 'agent')
        ORDER BY call_id, created_at
        ON CONFLICT (call_id) DO UPDATE SET
            \(callColumns.map { "\($0) = COALESCE(calls.\($0), EXCLUDED.\($0))" }.joined(separator: ",\n    "))
            WHERE \(fills.joined(separator: "\n       OR "))
        """
    }()

    /// $1 = node, $2 = µs the previous run was last alive (NULL if unknown). Legs this node
    /// left open; each is closed at the heartbeat, never before its own last event.
    static let openLegs = """
    SELECT leg_id, call_id,
           (extract(epoch FROM GREATEST(COALESCE(answered_at, ringing_at, created_at),
                                        timestamptz 'epoch' + $2::bigint * interval '1 microsecond')) * 1000000)::bigint
    FROM call_legs WHERE node = $1 AND ended_at IS NULL
    """

    /// The folded rows in COPY text format (tab-separated, `\\N` for NULL).
    static func copyData(_ rows: [LegBatchRow]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 300)
        for r in rows {
            field(r.legID.uuidString, &out)
            tab(&out); field(r.callID.uuidString, &out)
            let o = r.origin
            for v in [o?.account, o?.trackingNumber, o?.source, o?.direction.name, o?.target, o?.sipCallID, r.callerNumber,
                      o?.agent] {
                tab(&out); field(v, &out)
            }
            for v in [r.createdUs, r.ringingUs, r.answeredUs, r.endedUs] {
                tab(&out); field(v.map { String($0) }, &out)
            }
            tab(&out); field(r.finalStatus.map { String($0) }, &out)
            tab(&out); field(r.endReason?.name, &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static func tab(_ out: inout [UInt8]) { out.append(9) }

    /// COPY text escaping; NUL bytes (which PostgreSQL text cannot hold) are dropped.
    private static func field(_ value: String?, _ out: inout [UInt8]) {
        guard let value else { out.append(contentsOf: [92, 78]); return }  // \N
        for b in value.utf8 {
            switch b {
            case 0: continue
            case 92: out.append(contentsOf: [92, 92])
            case 9: out.append(contentsOf: [92, 116])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            default: out.append(b)
            }
        }
    }
}
