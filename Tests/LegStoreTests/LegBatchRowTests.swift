import CallLegs
import Foundation
import Testing
@testable import LegStore

/// The writer folds a batch's events into one row per leg in Swift (`LegBatchRow`); these
/// pin the rules the SQL fold had, so a replayed or reordered batch stores the same row.
@Suite struct LegBatchRowTests {
    @Test func foldKeepsEarliestTimesAndTheFirstEndInJournalOrder() throws {
        let l = SampleLeg(0, direction: .inbound)
        // A second ended event that is earlier in time but later in the journal: its time
        // wins (earliest of the kind), the first one's status and reason stay.
        let late = LegEvent(legID: l.leg, callID: l.call, microseconds: l.endedUS - 5, .ended(status: nil, reason: .interrupted))
        let early = LegEvent(legID: l.leg, callID: l.call, microseconds: l.ringingUS! - 7, .ringing)
        let rows = LegBatchRow.fold(l.events + [late, early])
        #expect(rows.count == 1)
        let r = try #require(rows.first)
        #expect(r.legID == l.leg && r.callID == l.call)
        #expect(r.createdUs == l.createdUS)
        #expect(r.ringingUs == l.ringingUS! - 7)
        #expect(r.answeredUs == l.answeredUS)
        #expect(r.endedUs == l.endedUS - 5)
        #expect(r.finalStatus == l.status && r.endReason == l.reason)
        #expect(r.origin == l.origin)
    }

    @Test func legWithoutItsCreatedEventHasNoOrigin() throws {
        let l = SampleLeg(2)
        let rows = LegBatchRow.fold(Array(l.events.dropFirst()))
        let r = try #require(rows.first)
        #expect(r.origin == nil && r.callerNumber == nil && r.createdUs == nil)
        #expect(r.endedUs == l.endedUS && r.finalStatus == l.status)
        // COPY text: NULL for every origin column and for created_us
        let line = String(decoding: LegBatchSQL.copyData(rows), as: UTF8.self)
        let fields = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false)
        // (16 since migration 3's `agent` column, the last origin column)
        #expect(fields.count == 16)
        #expect(fields[2..<11].allSatisfy { $0 == "\\N" })
        #expect(fields[11] == Substring(String(l.ringingUS!)))
        #expect(fields[15] == Substring(l.reason.name))
    }

    /// Rows come out in PostgreSQL's uuid order (bytewise), so concurrent writers lock rows
    /// in one order, as the SQL fold's GROUP BY did.
    @Test func rowsAreInUUIDByteOrder() {
        let legs = (0..<200).map { SampleLeg($0) }
        let rows = LegBatchRow.fold(interleaved(legs))
        #expect(rows.count == 200)
        let keys = rows.map { $0.legID.uuidString.lowercased() }  // hex text sorts as the bytes do
        #expect(keys == keys.sorted())
    }

    @Test func copyTextEscapesAndDropsNUL() {
        let l = SampleLeg(1)
        var origin = l.origin
        origin.source = "a\tb\\c\nd\0e"
        let rows = LegBatchRow.fold([LegEvent(legID: l.leg, callID: l.call, microseconds: 1, .created(origin))])
        let line = String(decoding: LegBatchSQL.copyData(rows), as: UTF8.self)
        #expect(line.contains("\ta\\tb\\\\c\\nde\t"))
    }
}
