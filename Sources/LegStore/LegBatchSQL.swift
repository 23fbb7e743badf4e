import Foundation

/// The SQL of one writer batch. Events are COPYed into a per-connection staging table, then
/// folded into one row per leg and upserted: COPY is the fastest way in (≈200k rows/s here),
/// and doing the merge in SQL keeps replays idempotent without reading rows back.
enum LegBatchSQL {
    static let createStage = """
    CREATE TEMP TABLE IF NOT EXISTS leg_events_stage (
        seq int, leg_id uuid, call_id uuid, kind smallint, at_us bigint,
        account text, tracking_number text, source text, direction text, target text,
        sip_call_id text, caller_number text, final_status int, end_reason text
    ) ON COMMIT DELETE ROWS
    """

    static let copyStage = "COPY leg_events_stage FROM STDIN"

    private static let originColumns = ["account", "tracking_number", "source", "direction", "target", "sip_call_id", "caller_number"]
    private static func ts(_ column: String) -> String { "timestamptz 'epoch' + \(column) * interval '1 microsecond'" }

    /// $1 = node id. One statement per batch: fold the staged events into one row per leg,
    /// upsert them, and upsert the calls of inbound legs from the upsert's RETURNING.
    /// Within a batch the earliest time of each kind wins, with the status and reason of
    /// the first ended event (journal order, `seq`); against the table a known value is
    /// never replaced, so replaying any batch leaves the row as it was. ON CONFLICT cannot touch a row twice in one statement,
    /// hence the GROUP BY first. No statement joins the table to the stage: the temp table
    /// has no statistics and such joins were planned as scans of all of call_legs
    /// (measured: 120 ms per batch at 50k legs, growing with the table).
    static let merge: String = {
        // A leg has one created event, so max() picks it without the sort an ordered
        // array_agg costs; only the ended fields, which must come from one event, keep it.
        let firstOrigin = originColumns.map { "max(\($0)) FILTER (WHERE kind = 0) AS \($0)" }
        let keep = (originColumns + ["created_at", "ringing_at", "answered_at", "ended_at", "end_reason", "node"])
            .map { "\($0) = COALESCE(call_legs.\($0), EXCLUDED.\($0))" }
        let ended = "COALESCE(call_legs.ended_at, EXCLUDED.ended_at)", answered = "COALESCE(call_legs.answered_at, EXCLUDED.answered_at)"
        return """
        WITH agg AS (
            SELECT leg_id,
                (array_agg(call_id))[1] AS call_id,
                \(firstOrigin.joined(separator: ",\n        "))
                , min(at_us) FILTER (WHERE kind = 0) AS created_us
                , min(at_us) FILTER (WHERE kind = 1) AS ringing_us
                , min(at_us) FILTER (WHERE kind = 2) AS answered_us
                , min(at_us) FILTER (WHERE kind = 3) AS ended_us
                , (array_agg(final_status ORDER BY seq) FILTER (WHERE kind = 3))[1] AS final_status
                , (array_agg(end_reason ORDER BY seq) FILTER (WHERE kind = 3))[1] AS end_reason
            FROM leg_events_stage GROUP BY leg_id
        ), up AS (
            INSERT INTO call_legs (leg_id, call_id, \(originColumns.joined(separator: ", ")),
                                   created_at, ringing_at, answered_at, ended_at, final_status, end_reason,
                                   billable_seconds, node)
            SELECT leg_id, call_id, \(originColumns.joined(separator: ", ")),
                   \(ts("created_us")), \(ts("ringing_us")), \(ts("answered_us")), \(ts("ended_us")),
                   final_status, end_reason,
                   -- whole seconds answer → end, a started second counting as one (the
                   -- close's rule, docs/billing.md), so an export and a bill agree; 0 if never
                   -- answered; set once
                   CASE WHEN ended_us IS NULL THEN NULL WHEN answered_us IS NULL THEN 0
                        ELSE GREATEST(0, (ended_us - answered_us + 999999) / 1000000)::int END,
                   $1
            FROM agg
            ON CONFLICT (leg_id) DO UPDATE SET
                \(keep.joined(separator: ",\n        ")),
                -- the status travels with the first ended event, like ended_at
                final_status = CASE WHEN call_legs.ended_at IS NULL THEN EXCLUDED.final_status ELSE call_legs.final_status END,
                billable_seconds = COALESCE(call_legs.billable_seconds, CASE
                    WHEN \(ended) IS NULL THEN NULL WHEN \(answered) IS NULL THEN 0
                    ELSE GREATEST(0, ceil(extract(epoch FROM \(ended) - \(answered))))::int END)
            RETURNING call_id, direction, account, tracking_number, source, caller_number, created_at, ended_at
        )
        -- a call's row follows its inbound leg
        INSERT INTO calls (call_id, account, tracking_number, source, caller_number, started_at, ended_at)
        SELECT DISTINCT ON (call_id) call_id, account, tracking_number, source, caller_number, created_at, ended_at
        FROM up WHERE direction = 'inbound'
        ORDER BY call_id, created_at
        ON CONFLICT (call_id) DO UPDATE SET
            account = COALESCE(calls.account, EXCLUDED.account),
            tracking_number = COALESCE(calls.tracking_number, EXCLUDED.tracking_number),
            source = COALESCE(calls.source, EXCLUDED.source),
            caller_number = COALESCE(calls.caller_number, EXCLUDED.caller_number),
            started_at = COALESCE(calls.started_at, EXCLUDED.started_at),
            ended_at = COALESCE(calls.ended_at, EXCLUDED.ended_at)
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

    /// The batch in COPY text format (tab-separated, `\\N` for NULL).
    static func copyData(_ events: [LegEvent]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 200)
        for (i, e) in events.enumerated() {
            field(String(i), &out); tab(&out)
            field(e.legID.uuidString, &out); tab(&out)
            field(e.callID.uuidString, &out); tab(&out)
            field(String(e.kind.rawValue), &out); tab(&out)
            field(String(e.microseconds), &out)
            var origin: [String?] = Array(repeating: nil, count: 7)
            var status: String?, reason: String?
            switch e.detail {
            case .created(let o):
                origin = [o.account, o.trackingNumber, o.source, o.direction.name, o.target, o.sipCallID, o.callerNumber]
            case .ended(let s, let r):
                status = s.map(String.init)
                reason = r.name
            case .ringing, .answered:
                break
            }
            for v in origin + [status, reason] { tab(&out); field(v, &out) }
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
