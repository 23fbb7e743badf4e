import CallLegs
import Foundation
import Testing
@testable import LegStore

@Suite struct LegEventTests {
    @Test func binaryRoundTripKeepsEveryField() throws {
        let leg = SampleLeg(1)
        var origin = leg.origin
        origin.callerNumber = nil
        origin.source = "tab\there, back\\slash, ünïcode"
        let events = leg.events + [
            LegEvent(legID: leg.leg, callID: leg.call, microseconds: -5, .created(origin)),
            LegEvent(legID: leg.leg, callID: leg.call, at: Date(), .ended(status: nil, reason: .interrupted)),
        ]
        for e in events {
            let bytes = e.encoded()
            #expect(LegEvent(decoding: bytes) == e)
            #expect(LegEvent(decoding: bytes.dropLast()) == nil)  // truncated payload refused
        }
        #expect(LegEvent.ringing(leg: leg.leg, call: leg.call).encoded().count == 42)
    }

    /// Issue 15 item 4: a created event naming an agent is written as version 2 (older
    /// readers skip it as unknown rather than misread it); every other event stays version 1,
    /// so journals written before the upgrade read as they did.
    @Test func agentCallsRoundTripAsVersionTwoAndOthersStayVersionOne() throws {
        let leg = SampleLeg(3)
        var origin = leg.origin
        origin.direction = .agent
        origin.agent = "alice"
        let created = LegEvent(legID: leg.leg, callID: leg.call, microseconds: 7, .created(origin))
        let bytes = created.encoded()
        #expect(bytes.first == 2)
        #expect(LegEvent(decoding: bytes) == created)
        #expect(LegEvent(decoding: bytes.dropLast()) == nil)
        #expect(leg.events.allSatisfy { $0.encoded().first == 1 })
        // A version-2 marker on anything but a created event is not ours: refused.
        var forged = LegEvent.ringing(leg: leg.leg, call: leg.call).encoded()
        forged[0] = 2
        #expect(LegEvent(decoding: forged) == nil)
        #expect(LegEvent.Direction.agent.name == "agent")
    }

    @Test func endReasonNamesRoundTrip() {
        for r in LegEvent.EndReason.allCases { #expect(LegEvent.EndReason(name: r.name) == r) }
        #expect(LegEvent.EndReason.answeredElsewhere.name == "answered-elsewhere")
        #expect(LegEvent.EndReason(name: "nope") == nil)
    }

    /// One model from engine to row (issue 18 item 3): a callee's 603/607 stays `declined` in
    /// the journal and in `call_legs.end_reason` (it used to be folded into `rejected` on the
    /// way), and the raw values already in journals on disk keep their meaning.
    @Test func declinedSurvivesTheJournalAndOlderRawValuesKeepTheirMeaning() throws {
        let leg = SampleLeg(4)
        let ended = LegEvent.ended(leg: leg.leg, call: leg.call, status: 603, reason: .declined)
        #expect(LegEvent(decoding: ended.encoded()) == ended)
        #expect(LegEvent(decoding: ended.encoded())?.endReason == .declined)
        #expect(ended.finalStatus == 603 && ended.origin == nil)
        #expect(LegEvent.EndReason.declined.name == "declined")
        #expect(LegEvent.EndReason.rejected.rawValue == 9 && LegEvent.EndReason.shutdown.rawValue == 14)
        #expect(LegEvent.EndReason.declined.rawValue == 15)
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func subSecondTimesSurviveToMicroseconds() {
        let t = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let e = LegEvent.answered(leg: UUID(), call: UUID(), at: t)
        #expect(e.microseconds == 1_790_000_000_123_456 || e.microseconds == 1_790_000_000_123_455)
        #expect(abs(e.time.timeIntervalSince(t)) < 0.000_002)
    }
}
