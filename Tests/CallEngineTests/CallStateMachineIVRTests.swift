import Foundation
import SIPMessage
import Testing
@testable import CallEngine

/// IVR calls on the state machine, race by race (issue 12 items 1 and 2): we answer the
/// caller with our media, the menu (an `IVRMenuMachine` in the `menu` state) collects keys,
/// the choice resumes the routing walk at the menu, the chosen plan rings behind ringback.
/// Fake clock, no sockets. Coverage table: docs/call-state-machine.md.
@Suite struct CallStateMachineIVRTests {
    /// `main` is a menu: 1 → `sales` (`salesPlan`), 2 → `other`; no key → `sales`.
    static func plans(sales salesPlan: String = "ring-all: { targets: [\"sip:t1@192.0.2.1\"], timeout: 20s }",
                      maxDigits: Int = 1, attempts: Int = 1) -> String {
        """
        main:
          ivr: { prompt: p.wav, invalid-prompt: p.wav, options: { "1": sales, "2": other }, timeout: 5s, attempts: \(attempts), default: sales, max-digits: \(maxDigits) }
        sales:
          \(salesPlan)
        other:
          ring-all: { targets: ["sip:t9@192.0.2.9"], timeout: 20s }
        """
    }

    static func menuPlan(_ actions: [Action]) -> String? {
        actions.lazy.compactMap { if case .play(.menuPrompt(let plan, _, _)) = $0 { plan } else { nil } }.first
    }

    /// Answered by us, key 1, the chosen plan rings with our offer behind ringback, its 2xx
    /// is ACKed at once and bridged by relaying; the caller's BYE ends both sides.
    @Test func answeredByUsThenTheChosenPlanRingsAndIsBridged() throws {
        var h = try MachineHarness(plans: Self.plans())
        #expect(h.invite() == [.openCallerMedia])
        guard case .answering = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(h.machine.isActive && h.machine.anchor != nil)

        let answered = h.callerMediaOpened()
        #expect(answered.prefix(4) == [.answerCaller, .record(.init(leg: .inbound, kind: .answered, time: h.now)),
                                       .startTimer(.ackTimeout, after: MachineHarness.t1 * 64),
                                       .startTimer(.maxDuration, after: .seconds(3600))])
        #expect(Self.menuPlan(answered) == "main")
        guard case .menu(_, let run) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(run.plan == "main")
        #expect(h.ack() == [.cancelTimer(.ackTimeout)])
        #expect(h.ack() == [], "a retransmitted ACK changes nothing")

        #expect(h.promptEnds() == [.startTimer(.menuInput, after: .seconds(5))])
        let chosen = h.digit("1")
        #expect(chosen == [.cancelTimer(.menuInput), .stopPlayback, .continueRoute(attempt: 0, menu: 0, entries: ["1"])])
        #expect(h.continueRoute(after: chosen) == [.openLegMedia])
        guard case .openingLegMedia = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        let rings = h.legMediaOpened()
        #expect(rings.first == .play(.ringback))
        #expect(MachineHarness.placed(rings) == [1])
        guard case .anchoredRinging(_, let ringing) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(ringing.legs == [.n(1)])

        let ringingLeg = h.respond(1, 180)
        #expect(MachineHarness.callerStatuses(ringingLeg) == [], "the caller has our 200: no 180")
        #expect(h.recorded(.ringing, leg: 1).count == 1)
        let answer = h.respond(1, 200, sdp: true)
        let response = MachineHarness.response(1, 200, sdp: true)
        #expect(answer.prefix(3) == [.bridgeLeg(.n(1), response), .ackLeg(.n(1), relaying: nil),
                                     .record(.init(leg: .outbound(.n(1)), kind: .answered, time: h.now))])
        #expect(answer.contains(.connectLegMedia(.n(1), response)))
        #expect(MachineHarness.callerStatuses(answer) == [])
        guard case .anchoredBridged(_, let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(1))
        #expect(h.respond(1, 200, sdp: true) == [.resendAck(.n(1))], "a retransmitted 2xx gets our ACK again")

        h.wait(.seconds(30))
        let bye = h.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(bye.contains(.byeLeg(.n(1))) && !bye.contains(.byeCaller))
        #expect(bye.contains(.closeMedia))
        #expect(bye.last == .callOver(status: 200, reason: .completed))
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .completed)
        #expect(h.recorded(.ended, leg: nil).first?.finalStatus == 200)
        #expect(h.machine.state == .ended(.completed))
    }

    /// The caller hangs up while the menu plays: recorded as abandoned in the IVR; the
    /// prompt's end and a key arriving after that change nothing.
    @Test func callerByeWhileThePromptPlays() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened()
        h.ack()
        let bye = h.request(.bye, from: .caller)
        #expect(bye.contains(.cancelTimer(.menuInput)))
        #expect(bye.contains(.closeMedia) && !bye.contains(.byeCaller))
        #expect(bye.last == .callOver(status: 200, reason: .ivrAbandoned))
        let ended = try #require(h.recorded(.ended, leg: nil).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .ivrAbandoned)
        #expect(h.promptEnds() == [])
        #expect(h.digit("1") == [])
        #expect(h.fire(.menuInput) == [])
        #expect(h.request(.bye, from: .caller) == [.answerRequest(status: 481)])
    }

    /// CANCEL while our media opens (no final response yet): 487, the session opening
    /// later is closed by the driver (the machine ignores it).
    @Test func callerCancelWhileOurMediaOpens() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        let cancel = h.cancel()
        #expect(cancel.first == .closeMedia)
        #expect(MachineHarness.callerStatuses(cancel) == [487])
        #expect(cancel.last == .callOver(status: 487, reason: .callerCancelled))
        #expect(h.callerMediaOpened() == [])
        #expect(h.recorded(.answered, leg: nil).isEmpty)
    }

    /// The caller's offer cannot be answered (488 with a Warning); a drain before our 200
    /// gives 480 like a call that rings; a BYE before it is a CANCEL; re-INVITEs get 491.
    @Test func failuresBeforeOurAnswer() throws {
        var refused = try MachineHarness(plans: Self.plans())
        refused.invite()
        let failed = refused.feed { m, now in m.callerMediaFailed(status: 488, warning: "304 x \"no codec\"", now: now) }
        #expect(failed.prefix(2) == [.refuseCaller(status: 488, warning: "304 x \"no codec\""), .closeMedia])
        #expect(failed.last == .callOver(status: 488, reason: .rejected))

        var drained = try MachineHarness(plans: Self.plans())
        drained.invite()
        #expect(drained.request(.invite, from: .caller) == [.answerRequest(status: 491)])
        let hangUp = drained.feed { m, now in m.hangUp(reason: .shutdown, now: now) }
        #expect(MachineHarness.callerStatuses(hangUp) == [480])
        #expect(hangUp.last == .callOver(status: 480, reason: .shutdown))

        var early = try MachineHarness(plans: Self.plans())
        early.invite()
        let bye = early.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(MachineHarness.callerStatuses(bye) == [487])
        #expect(bye.contains(.closeMedia))
    }

    /// The menu's input timer fires as a key arrives: whichever the machine sees first wins,
    /// the other changes nothing. Timer first: no input, the default (`sales`) rings.
    @Test func aDigitArrivingAsTheMenuTimesOut() throws {
        var late = try MachineHarness(plans: Self.plans())
        late.invite()
        late.callerMediaOpened()
        late.promptEnds()
        let timeout = late.fire(.menuInput)
        #expect(timeout.contains(.continueRoute(attempt: 0, menu: 0, entries: [""])))
        #expect(late.digit("2") == [], "decided: the key is too late")
        late.continueRoute(after: timeout)
        let rings = late.legMediaOpened()
        guard case .placeLeg(_, let leg, _)? = rings.first(where: { if case .placeLeg = $0 { true } else { false } }) else {
            Issue.record("\(rings)"); return
        }
        #expect(leg.target == "sip:t1@192.0.2.1", "the default")

        // Key first: it decides; the timer that fired meanwhile is stale.
        var early = try MachineHarness(plans: Self.plans())
        early.invite()
        early.callerMediaOpened()
        early.promptEnds()
        let key = early.digit("2")
        #expect(key.contains(.continueRoute(attempt: 0, menu: 0, entries: ["2"])))
        #expect(early.fire(.menuInput) == [])
        early.continueRoute(after: key)
        let other = early.legMediaOpened()
        guard case .placeLeg(_, let chosen, _)? = other.first(where: { if case .placeLeg = $0 { true } else { false } }) else {
            Issue.record("\(other)"); return
        }
        #expect(chosen.target == "sip:t9@192.0.2.9")

        // Two-key entries: a key restarts the inter-digit timer; the timer firing after it
        // ends the entry with the key counted.
        var multi = try MachineHarness(plans: Self.plans(maxDigits: 2))
        multi.invite()
        multi.callerMediaOpened()
        #expect(multi.digit("1") == [.stopPlayback, .startTimer(.menuInput, after: .seconds(5))], "barge-in")
        #expect(multi.fire(.menuInput).contains(.continueRoute(attempt: 0, menu: 0, entries: ["1"])))
        // A stale prompt end of the menu (the prompt was stopped) is dropped.
        #expect(multi.feed { m, now in m.promptFinished(plan: "other", .menu, generation: 1, now: now) } == [])
    }

    /// A 2xx after our CANCEL in an IVR transfer: the sequential step rang out, we
    /// cancelled it and rang the next; its 2xx crossing the CANCEL is ACKed and BYEd and
    /// recorded as what happened (answered, then ended by us), the caller keeps ringing.
    @Test func a2xxAfterOurCancelInAnIVRTransfer() throws {
        var h = try MachineHarness(plans: Self.plans(sales: """
            sequential:
                - { target: "sip:s1@192.0.2.1", timeout: 10s }
                - { target: "sip:s2@192.0.2.2", timeout: 10s }
            """))
        h.invite()
        h.callerMediaOpened()
        h.continueRoute(after: h.digit("1"))
        #expect(MachineHarness.placed(h.legMediaOpened()) == [1])
        h.respond(1, 180)
        h.wait(.seconds(10))
        let step = h.ringTimeout()
        #expect(MachineHarness.cancelled(step) == [1])
        #expect(MachineHarness.placed(step) == [2])
        h.wait(.milliseconds(40))
        let late = h.respond(1, 200)
        #expect(late.contains(.ackAndBye(.n(1), MachineHarness.response(1, 200))))
        #expect(MachineHarness.callerStatuses(late) == [])
        #expect(h.recorded(.answered, leg: 1).first?.time == h.now)
        let ended = try #require(h.recorded(.ended, leg: 1).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .noAnswer)
        guard case .anchoredRinging(_, let ringing) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(ringing.legs == [.n(2)], "step 2 still rings")

        // Step 2 is busy: nothing is left, the caller we answered gets our BYE.
        let busy = h.respond(2, 486)
        #expect(busy.contains(.byeCaller) && busy.contains(.closeMedia))
        #expect(busy.last == .callOver(status: 200, reason: .busy))
    }

    /// Ring-all after the menu: the loser's 2xx crossing our CANCEL is ACKed, BYEd and
    /// recorded answered; the winner stays bridged.
    @Test func aLosersAnswerAfterOurCancelInAnIVRRingAll() throws {
        var h = try MachineHarness(plans: Self.plans(sales: "ring-all: { targets: [\"sip:t1@192.0.2.1\", \"sip:t2@192.0.2.2\"], timeout: 20s }"))
        h.invite()
        h.callerMediaOpened()
        h.continueRoute(after: h.digit("1"))
        #expect(MachineHarness.placed(h.legMediaOpened()) == [1, 2])
        let win = h.respond(1, 200)
        #expect(win.contains(.cancelLeg(.n(2), .completedElsewhere)))
        let late = h.respond(2, 200)
        #expect(late.contains(.ackAndBye(.n(2), MachineHarness.response(2, 200))))
        #expect(h.recorded(.ended, leg: 2).first?.endReason == .answeredElsewhere)
        #expect(h.recorded(.ended, leg: 2).first?.finalStatus == 200)
        guard case .anchoredBridged(_, let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(1))
    }

    /// Re-INVITE glare while anchored: an offer from the caller while the answer to our
    /// own offer (late-offer 200, or an offer-less re-INVITE's 200) is still owed gets 491;
    /// once that ACK came the next offer is answered by us. The callee has no dialog yet.
    @Test func reinviteGlareWhileAnchored() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened(lateOffer: true)
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)], "our offer is unanswered")
        #expect(h.request(.update, from: .caller) == [.answerRequest(status: 491)])
        var ack = MachineHarness.callerAck
        ack.body = Array("v=0\r\n".utf8)
        ack.contentType = "application/sdp"
        #expect(h.feed { m, now in m.ackReceived(ack, now: now) } == [.cancelTimer(.ackTimeout), .acceptCallerAnswer(ack)])
        #expect(h.request(.invite, from: .caller) == [.answerOfferLocally(.caller)], "hold/unhold answered by us")
        #expect(h.request(.invite, from: .caller, withBody: false) == [.answerOfferLocally(.caller)])
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)], "our offer in that 200 is owed an answer")
        #expect(h.feed { m, now in m.reinviteAcked(from: .caller, now: now) } == [])
        #expect(h.feed { m, now in m.reinviteAcked(from: .caller, now: now) } == [], "acked once")
        #expect(h.request(.update, from: .caller) == [.answerOfferLocally(.caller)])
        #expect(h.request(.invite, from: .callee) == [.answerRequest(status: 481)], "no callee dialog before a bridge")
        #expect(h.request(.info, from: .caller) == [.answerRequest(status: 200)])
        #expect(h.request(.options, from: .caller) == [.answerRequest(status: 200)])
        #expect(h.request(.message, from: .caller) == [.answerRequest(status: 501)])
        #expect(h.request(.bye, from: .callee) == [.answerRequest(status: 481)])
    }

    /// Our 200 is never ACKed: after 64·T1 the call ends with our BYE (§13.3.1.4). The
    /// caller's silence (media timeout) and the maximum duration end it the same way.
    @Test func lostAckMediaTimeoutAndMaxDuration() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened()
        let lost = h.fire(.ackTimeout)
        #expect(lost.contains(.byeCaller) && lost.contains(.closeMedia) && lost.contains(.cancelTimer(.menuInput)))
        #expect(lost.last == .callOver(status: 200, reason: .error))
        #expect(h.fire(.ackTimeout) == [] && h.fire(.maxDuration) == [])

        var silent = try MachineHarness(plans: Self.plans())
        silent.invite()
        silent.callerMediaOpened()
        silent.ack()
        #expect(silent.fire(.ackTimeout) == [], "ACKed: stale")
        #expect(silent.feed { m, now in m.mediaTimedOut(now: now) }.last == .callOver(status: 200, reason: .mediaTimeout))

        var long = try MachineHarness(plans: Self.plans())
        long.invite()
        long.callerMediaOpened()
        long.ack()
        long.continueRoute(after: long.digit("1"))
        long.legMediaOpened()
        long.respond(1, 200)
        let info = long.request(.info, from: .callee)
        #expect(info == [.relayRequest(towards: .caller)], "bridged: INFO is relayed")
        let over = long.fire(.maxDuration)
        #expect(over.contains(.byeCaller) && over.contains(.byeLeg(.n(1))))
        #expect(over.last == .callOver(status: 200, reason: .maxDuration))
    }

    /// A callee's BYE ends a bridged IVR transfer: our BYE to the caller.
    @Test func theCalleesByeEndsTheBridge() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened()
        h.ack()
        h.continueRoute(after: h.digit("1"))
        h.legMediaOpened()
        h.respond(1, 200)
        #expect(h.request(.invite, from: .callee) == [.answerOfferLocally(.callee)], "the leg's re-offer is ours to answer")
        let bye = h.request(.bye, from: .callee)
        #expect(bye.contains(.byeCaller) && !bye.contains(.byeLeg(.n(1))))
        #expect(bye.last == .callOver(status: 200, reason: .completed))
        #expect(h.recorded(.ended, leg: 1).first?.finalStatus == 200)
    }

    /// Without media the IVR cannot answer: that attempt fails over like a 480, and with
    /// nothing else the caller gets 480 (no 200 from us).
    @Test func withoutMediaAnIVRAttemptFailsOver() throws {
        var h = try MachineHarness(plans: """
            main:
              ivr: { prompt: p.wav, options: { "1": other }, timeout: 5s, attempts: 1, default: other }
              then: fallback
            other:
              ring-all: { targets: ["sip:t8@192.0.2.8"], timeout: 20s }
            fallback:
              ring-all: { targets: ["sip:t9@192.0.2.9"], timeout: 20s }
            """, mediaAvailable: false)
        let start = h.invite()
        #expect(!start.contains(.openCallerMedia))
        #expect(MachineHarness.placed(start) == [1])
        guard case .ringing = h.machine.state else { Issue.record("\(h.machine.state)"); return }

        var alone = try MachineHarness(plans: Self.plans(), mediaAvailable: false)
        let failed = alone.invite()
        #expect(MachineHarness.callerStatuses(failed) == [480])
    }

    /// A route continuation the driver could not find ends the call as an error.
    @Test func aMenuDecidedWithoutContinuationEndsTheCall() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened()
        h.digit("1")
        let gone = h.feed { m, now in m.routeContinued([], specs: [:], now: now) }
        #expect(gone.contains(.byeCaller))
        #expect(gone.last == .callOver(status: 200, reason: .error))
    }
}
