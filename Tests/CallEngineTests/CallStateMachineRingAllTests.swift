import Foundation
import SIPMessage
import Testing
@testable import CallEngine

/// Ring-all on the state machine alone, race by race (issue 12 item 2). Coverage table:
/// docs/call-state-machine.md.
@Suite struct CallStateMachineRingAllTests {
    @Test func everyLegRingsAtOnceAndTheFirst2xxWinsWithOneAnswerInstant() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        let start = h.invite()
        #expect(MachineHarness.placed(start) == [1, 2])
        #expect(start.contains(.startTimer(.group(generation: 1), after: .seconds(20))))
        #expect(h.machine.ringing?.legs == [.n(1), .n(2)])

        let ringing = h.respond(1, 180)
        #expect(MachineHarness.callerStatuses(ringing) == [180])
        #expect(h.recorded(.ringing, leg: 1).count == 1 && h.recorded(.ringing, leg: nil).count == 1)
        #expect(MachineHarness.callerStatuses(h.respond(2, 180)) == [], "one 180 to the caller")

        h.wait(.seconds(3))
        let answer = h.respond(2, 200, sdp: true)
        #expect(MachineHarness.cancelled(answer) == [1])
        #expect(answer.contains(.cancelLeg(.n(1), .completedElsewhere)))
        #expect(answer.contains(.cancelTimer(.group(generation: 1))))
        #expect(answer.contains(.respondToCaller(status: 200, relaying: MachineHarness.response(2, 200, sdp: true))))
        #expect(answer.contains(.startTimer(.ackTimeout, after: MachineHarness.t1 * 64)))
        guard case .answered(let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(2))
        // Issue 14 item 3: both legs answered at the instant the winning 2xx arrived.
        let answeredIn = try #require(h.recorded(.answered, leg: nil).first)
        let answeredOut = try #require(h.recorded(.answered, leg: 2).first)
        #expect(answeredIn.time == h.now && answeredOut.time == h.now)

        #expect(h.ack() == [.cancelTimer(.ackTimeout), .ackLeg(.n(2), relaying: MachineHarness.callerAck)])
        #expect(h.machine.state == .confirmed(bridge))
        h.wait(.milliseconds(30))
        #expect(h.respond(1, 487).contains(.forgetLeg(.n(1))))
        let loser = try #require(h.recorded(.ended, leg: 1).first)
        #expect(loser.finalStatus == 487 && loser.endReason == .answeredElsewhere)
        #expect(loser.time == answeredOut.time, "recorded as ended when we cancelled it")

        h.wait(.seconds(60))
        let bye = h.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(bye.contains(.byeLeg(.n(2))) && !bye.contains(.byeCaller))
        #expect(bye.contains(.callOver(status: 200, reason: .completed)))
        #expect(h.machine.state == .ended(.completed))
        // Both legs end at one instant too, so both carry the same billable seconds.
        #expect(h.recorded(.ended, leg: 2).first?.time == h.now && h.recorded(.ended, leg: nil).first?.time == h.now)
        #expect(h.fire(.linger(.n(2))) == [.forgetLeg(.n(2))])
    }

    /// A loser's 2xx crosses our CANCEL: it is ACKed and BYEd, never reaches the caller, and
    /// its record says what happened (answered, then ended by us).
    @Test func cancelCrossingA2xxOnALosingLeg() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        h.respond(1, 180)
        h.respond(2, 180)
        h.respond(1, 200)
        #expect(h.phase(2) == .cancelled(at: h.now, reason: .answeredElsewhere))
        h.wait(.milliseconds(5))
        let late = h.respond(2, 200)
        #expect(late.contains(.ackAndBye(.n(2), MachineHarness.response(2, 200))))
        #expect(late.contains(.cancelTimer(.cancelGiveUp(.n(2)))))
        #expect(MachineHarness.callerStatuses(late) == [], "the caller never sees it")
        #expect(h.recorded(.answered, leg: 2).first?.time == h.now)
        let ended = try #require(h.recorded(.ended, leg: 2).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .answeredElsewhere && ended.time == h.now)
        #expect(h.phase(2) == .dismissed)
        guard case .answered(let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(1))
        // Its retransmission gets the same ACK again; the 487 the CANCEL would have had never comes.
        #expect(h.respond(2, 200) == [.resendDismissedAck(.n(2), toTag: "callee2")])
        #expect(h.recorded(.ended, leg: 2).count == 1)
    }

    /// A forking proxy behind the target: two 2xx with different To tags on the winning leg.
    @Test func twoTwoHundredsOnTheWinningLegWithDifferentTags() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200, tag: "fork-a")
        let second = h.respond(1, 200, tag: "fork-b")
        #expect(second == [.ackAndBye(.n(1), MachineHarness.response(1, 200, tag: "fork-b"))])
        #expect(h.phase(1) == .answered, "the first stays bridged")
        #expect(h.recorded(.ended, leg: 1).isEmpty, "its record stays answered")
        guard case .answered(let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(1))
        #expect(h.respond(1, 200, tag: "fork-b") == [.resendDismissedAck(.n(1), toTag: "fork-b")])
        h.ack()
        #expect(h.respond(1, 200, tag: "fork-a") == [.resendAck(.n(1))])
    }

    @Test func a2xxRetransmittedBeforeTheAckIsNotRelayedAgain() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200)
        #expect(h.respond(1, 200) == [], "the caller's ACK will produce ours")
        #expect(MachineHarness.callerStatuses(h.log).filter { $0 == 200 }.count == 1)
        h.ack()
        #expect(h.respond(1, 200) == [.resendAck(.n(1))])
        #expect(h.ack() == [], "a retransmitted ACK changes nothing")
    }

    /// No ACK for our 2xx within 64·T1 (§13.3.1.4): the callee is ACKed (§15.1.1) and both BYEd.
    @Test func aLostAckEndsTheCallAfter64T1() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200)
        h.wait(MachineHarness.t1 * 64)
        let timeout = h.fire(.ackTimeout)
        let ack = try #require(timeout.firstIndex(of: .ackLeg(.n(1), relaying: nil)))
        let bye = try #require(timeout.firstIndex(of: .byeLeg(.n(1))))
        #expect(ack < bye)
        #expect(timeout.contains(.byeCaller))
        #expect(timeout.contains(.callOver(status: 200, reason: .error)))
        #expect(h.machine.state == .ended(.error))
        #expect(h.fire(.ackTimeout) == [], "stale")
        #expect(h.ack() == [], "an ACK after the end is ignored")
    }

    /// The caller's CANCEL after a leg's 2xx reached us: our 2xx stands (§9.2), the caller ACKs
    /// and BYEs (§15.1.1), nothing is cancelled.
    @Test func callerCancelAfterALegs2xx() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200)
        #expect(h.cancel() == [])
        #expect(h.phase(1) == .answered)
        h.ack()
        #expect(h.request(.bye, from: .caller).contains(.callOver(status: 200, reason: .completed)))
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .completed)
    }

    @Test func callerCancelWhileLegsRing() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        h.respond(1, 180)
        let cancel = h.cancel()
        #expect(MachineHarness.cancelled(cancel) == [1, 2])
        #expect(MachineHarness.callerStatuses(cancel) == [487])
        #expect(cancel.contains(.callOver(status: 487, reason: .callerCancelled)))
        #expect(h.machine.state == .ending(.callerCancelled))
        #expect(h.cancel() == [], "a second CANCEL does nothing")
        h.respond(1, 487)
        #expect(h.machine.state == .ending(.callerCancelled))
        h.respond(2, 487)
        #expect(h.machine.state == .ended(.callerCancelled))
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .callerCancelled)
        #expect(h.recorded(.ended, leg: nil).first?.finalStatus == 487)
    }

    /// A BYE in the caller's early dialog while legs ring: as a CANCEL (§15).
    @Test func callerByeWhileLegsStillRing() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        h.respond(2, 180)
        let bye = h.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(MachineHarness.cancelled(bye) == [1, 2])
        #expect(MachineHarness.callerStatuses(bye) == [487])
        #expect(h.machine.state == .ending(.callerCancelled))
        #expect(h.request(.bye, from: .caller) == [.answerRequest(status: 481)], "no dialog any more")
    }

    /// A leg that sent 180 and then nothing after our CANCEL: given up 64·T1 later (§9.1,
    /// §16.8) and freed; recorded as ended when we cancelled it.
    @Test func aLegSilentAfterOurCancelIsGivenUpAfter64T1() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        h.respond(1, 180)
        h.respond(2, 180)
        let cancelledAt = h.now
        let cancel = h.cancel()
        #expect(cancel.contains(.startTimer(.cancelGiveUp(.n(1)), after: MachineHarness.t1 * 64)))
        h.respond(2, 487)
        h.wait(MachineHarness.t1 * 64)
        let giveUp = h.fire(.cancelGiveUp(.n(1)))
        #expect(giveUp.contains(.abandonLeg(.n(1))))
        let ended = try #require(h.recorded(.ended, leg: 1).first)
        #expect(ended.time == cancelledAt && ended.endReason == .callerCancelled)
        #expect(h.machine.state == .ended(.callerCancelled))
        #expect(h.phase(1) == .ended)
        #expect(h.fire(.cancelGiveUp(.n(2))) == [], "the other leg answered its CANCEL")
        #expect(h.respond(1, 487) == [], "a final after the give-up changes nothing")
    }

    @Test func everyLegFailingGivesTheBestFinalResponse() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(3))
        h.invite()
        h.respond(1, 404)
        h.respond(2, 486)
        #expect(h.machine.ringing != nil)
        let last = h.respond(3, 503)
        #expect(MachineHarness.callerStatuses(last) == [486], "§16.7: busy beats 404 and 503")
        #expect(last.contains(.cancelTimer(.group(generation: 1))))
        #expect(last.contains(.callOver(status: 486, reason: .busy)))
        #expect(h.machine.state == .ended(.busy))
        #expect(h.recorded(.ended, leg: 3).first?.endReason == .error)
    }

    @Test func unplacedAndFailedLegs() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        #expect(h.feed { m, now in m.legNotPlaced(.n(1), now: now) } == [.forgetLeg(.n(1))])
        #expect(h.recorded(.ended, leg: 1).isEmpty, "never recorded, so never ended")
        let timerB = h.feed { m, now in m.legTransportFailed(.n(2), status: 408, now: now) }
        #expect(MachineHarness.callerStatuses(timerB) == [480])
        #expect(h.recorded(.ended, leg: 2).first?.endReason == .noAnswer)
    }

    @Test func theRingTimeoutCancelsTheGroupAndAStaleTimerDoesNothing() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2, timeout: "5s"))
        let start = h.invite()
        #expect(start.contains(.startTimer(.group(generation: 1), after: .seconds(5))))
        h.respond(1, 180)
        h.wait(.seconds(5))
        let timeout = h.ringTimeout()
        #expect(timeout.contains(.cancelLeg(.n(1), .none)) && timeout.contains(.cancelLeg(.n(2), .none)))
        #expect(MachineHarness.callerStatuses(timeout) == [480])
        #expect(!timeout.contains(.cancelTimer(.group(generation: 1))), "it fired")
        #expect(h.fire(.group(generation: 1)) == [])
        h.respond(1, 487)
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .noAnswer)
    }

    @Test func maxDurationAndHangUp() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1), maxCallDuration: .seconds(60))
        let answer = { (h: inout MachineHarness) in h.invite(); h.respond(1, 200); h.ack() }
        answer(&h)
        #expect(h.log.contains(.startTimer(.maxDuration, after: .seconds(60))))
        let max = h.fire(.maxDuration)
        #expect(max.contains(.byeCaller) && max.contains(.byeLeg(.n(1))))
        #expect(!max.contains(.ackLeg(.n(1), relaying: nil)), "already ACKed")
        #expect(h.machine.state == .ended(.maxDuration))

        var ringing = try MachineHarness(plans: MachineHarness.ringAll(1))
        ringing.invite()
        let drain = ringing.feed { m, now in m.hangUp(reason: .shutdown, now: now) }
        #expect(drain.contains(.cancelLeg(.n(1), .none)) && MachineHarness.callerStatuses(drain) == [480])
        #expect(ringing.machine.state == .ending(.shutdown))
        #expect(ringing.feed { m, now in m.hangUp(reason: .shutdown, now: now) } == [])
    }
}
