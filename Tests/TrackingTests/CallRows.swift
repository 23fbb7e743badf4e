import Foundation
import LegStore
import ProcessTestKit
@testable import Tracking

/// Calls written straight into `calls`/`call_legs` the way the leg writer leaves them (an
/// inbound leg, and an outbound one that rang a target), for the webhook and export tests.
struct CallRows {
    let db: TrackingDatabase

    /// A call to `number` from `caller` starting `startOffset` seconds from now (negative:
    /// in the past). Answered after 5 s when `answered`; `duration` s long; legs left open when `open`.
    @discardableResult
    func insert(number: String, caller: String, answered: Bool, open: Bool = false, startOffset: Double = 0,
                account: String = "acme", duration: Int = 95) throws -> UUID {
        let c = try db.connect()
        defer { c.close() }
        let callID = UUID()
        // The dialplan's own sources (TrackingDatabase): the static number is the radio ad's.
        let source = number == "+18005550100" ? "radio" : "website"
        let id = callID.uuidString.lowercased()
        let base = try c.execute("SELECT clock_timestamp() + make_interval(secs => $1)", [String(startOffset)]).rows[0][0]!
        try c.execute("""
        INSERT INTO calls (call_id, account, tracking_number, source, caller_number, started_at, ended_at)
        VALUES ($1, $5, $2, $8, $3, $4::timestamptz, CASE WHEN $6 THEN NULL ELSE $4::timestamptz + make_interval(secs => $7) END)
        """, [id, number, caller, base, account, open ? "true" : "false", String(duration), source])
        try c.execute("""
        INSERT INTO call_legs (leg_id, call_id, account, tracking_number, source, direction, caller_number, created_at, answered_at, ended_at)
        VALUES (gen_random_uuid(), $1, $5, $2, $9, 'inbound', $3, $4::timestamptz,
                CASE WHEN $6 THEN $4::timestamptz + interval '5 seconds' END,
                $4::timestamptz + make_interval(secs => $8)),
               (gen_random_uuid(), $1, $5, $2, $9, 'outbound', $3, $4::timestamptz + interval '1 second',
                CASE WHEN $6 THEN $4::timestamptz + interval '5 seconds' END,
                CASE WHEN $7 THEN NULL ELSE $4::timestamptz + make_interval(secs => $8) END)
        """, [id, number, caller, base, account, answered ? "true" : "false", open ? "true" : "false", String(duration), source])
        return callID
    }

    /// Waits (5 s at most) until every call inserted so far has started by the database's
    /// clock, for reports that count only calls started before now().
    func waitUntilAllStarted() throws {
        let c = try db.connect()
        defer { c.close() }
        for _ in 0..<500 {
            if try c.execute("SELECT coalesce(bool_and(started_at < now()), true) FROM calls").rows[0][0] == "t" { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw CallRowsError.callsStillInTheFuture
    }

    enum CallRowsError: Error { case callsStillInTheFuture }

    /// Seconds since the epoch of a call's start and end, as PostgreSQL stored them.
    func times(_ callID: UUID) throws -> (start: Double, end: Double) {
        let c = try db.connect()
        defer { c.close() }
        let r = try c.execute("SELECT extract(epoch FROM started_at), extract(epoch FROM ended_at) FROM calls WHERE call_id = $1",
                              [callID.uuidString.lowercased()]).rows[0]
        return (Double(r[0]!)!, Double(r[1]!)!)
    }
}

/// Runs the real `switchboard` CLI.
func runCLI(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    try SwitchboardCLI.runWithStderr(arguments)
}

/// RFC 4180 CSV (quoted fields, doubled quotes, CRLF), for reading exports back.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
    var chars = Array(text)[...]
    while let ch = chars.popFirst() {
        if quoted {
            if ch == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.append(ch) }
        } else if ch == "\"" { quoted = true }
        else if ch == "," { row.append(field); field = "" }
        else if ch == "\r\n" || ch == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        else { field.append(ch) }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}
