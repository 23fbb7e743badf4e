import CallLegs
import Foundation

/// One leg's events of one writer batch, folded into the row the merge upserts.
///
/// The writer used to COPY every event and fold them in SQL (`GROUP BY leg_id` with
/// `array_agg`/`FILTER` aggregates); folding here sends a quarter of the rows and leaves
/// PostgreSQL only the upsert. The rules are the ones the SQL fold had, so a replayed batch
/// still leaves every row as it was:
/// - the earliest time of each kind wins;
/// - status and reason come from the first ended event in journal order (not the earliest:
///   the journal order is what the SQL fold's `ORDER BY seq` used);
/// - origin values come from the created event; a value stays known once known
///   (`max()` ignored NULLs; a leg has one created event, so "first non-nil" picks the same).
struct LegBatchRow: Equatable {
    var legID: UUID
    var callID: UUID
    var origin: LegEvent.Origin?
    var callerNumber: String?
    var createdUs: Int64?
    var ringingUs: Int64?
    var answeredUs: Int64?
    var endedUs: Int64?
    var endSeen = false
    var finalStatus: Int?
    var endReason: LegEvent.EndReason?

    init(legID: UUID, callID: UUID) {
        self.legID = legID
        self.callID = callID
    }

    mutating func add(_ event: LegEvent) {
        let us = event.microseconds
        switch event.detail {
        case .created(let o):
            if origin == nil { origin = o }
            if callerNumber == nil { callerNumber = o.callerNumber }
            createdUs = min(createdUs ?? us, us)
        case .ringing:
            ringingUs = min(ringingUs ?? us, us)
        case .answered:
            answeredUs = min(answeredUs ?? us, us)
        case .ended(let status, let reason):
            endedUs = min(endedUs ?? us, us)
            if !endSeen {
                endSeen = true
                finalStatus = status
                endReason = reason
            }
        }
    }

    /// One row per leg, in `leg_id` order as PostgreSQL sorts uuids (bytewise): rows are
    /// locked in the order the old `GROUP BY leg_id` produced, so concurrent writers lock in
    /// one order. The first event of a leg names its call, as `(array_agg(call_id))[1]` did.
    static func fold(_ events: [LegEvent]) -> [LegBatchRow] {
        var index: [UUID: Int] = [:]
        index.reserveCapacity(events.count / 2)
        var rows: [LegBatchRow] = []
        rows.reserveCapacity(events.count / 2)
        for e in events {
            if let i = index[e.legID] {
                rows[i].add(e)
            } else {
                index[e.legID] = rows.count
                var row = LegBatchRow(legID: e.legID, callID: e.callID)
                row.add(e)
                rows.append(row)
            }
        }
        rows.sort { uuidBytesLess($0.legID, $1.legID) }
        return rows
    }

    private static func uuidBytesLess(_ a: UUID, _ b: UUID) -> Bool {
        withUnsafeBytes(of: a.uuid) { x in
            withUnsafeBytes(of: b.uuid) { y in
                for i in 0..<16 where x[i] != y[i] { return x[i] < y[i] }
                return false
            }
        }
    }
}
