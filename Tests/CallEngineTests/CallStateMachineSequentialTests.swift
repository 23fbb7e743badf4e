import Foundation
import SIPMessage
import Testing
@testable import CallEngine

/// Sequential plans, `then:` fallbacks and early media on the state machine alone.
@Suite struct CallStateMachineSequentialTests {
    @Test func eachStepRingsForItsTimeoutThenTheNext() throws {
        var h = try MachineHarness(plans: MachineHarness.sequential(3, timeout: "10s"))
        #expect(MachineHarness.placed(h.invite()) == [1])
        h.respond(1, 180)
        h.wait(.seconds(10))
        let step2 = h.ringTimeout()
        #expect(MachineHarness.cancelled(step2) == [1])
        #expect(MachineHarness.placed(step2) == [2])
        #expect(MachineHarness.callerStatuses(step2) == [], "the caller heard its 180 already")
        // A busy step moves on at once.
        let step3 = h.respond(2, 486)
        #expect(step3.contains(.cancelTimer(.group(generation: 2))))
        #expect(MachineHarness.placed(step3) == [3])
        h.respond(3, 200)
        guard case .answered(let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(3))
    }

    /// Step 1's 2xx arrives after we cancelled it for its timeout, while step 2 rings: step 1
    /// is ACKed and BYEd and recorded as answered; the call goes on with step 2.
    @Test func a2xxAfterOurCancelInSequential() throws {
        var h = try MachineHarness(plans: MachineHarness.sequential(2))
        h.invite()
        h.respond(1, 180)
        h.wait(.seconds(10))
        h.ringTimeout()
        h.wait(.milliseconds(40))
        let late = h.respond(1, 200)
        #expect(late.contains(.ackAndBye(.n(1), MachineHarness.response(1, 200))))
        #expect(MachineHarness.callerStatuses(late) == [])
        let ended = try #require(h.recorded(.ended, leg: 1).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .noAnswer)
        #expect(h.recorded(.answered, leg: 1).count == 1)
        #expect(h.machine.ringing?.legs == [.n(2)], "step 2 still rings")
        h.respond(2, 200)
        #expect(h.machine.bridge?.winner == .n(2))
    }

    /// Step 1 sent early media (183 with SDP), then timed out: the caller must not keep
    /// listening to it. Step 2 rings in a new early dialog with a 180, step 1's later
    /// provisionals are dropped, step 2's early media is relayed.
    @Test func aStepChangeAfterEarlyMediaLeavesTheCancelledLegsMedia() throws {
        var h = try MachineHarness(plans: MachineHarness.sequential(2))
        h.invite()
        let early = h.respond(1, 183, sdp: true)
        #expect(early.contains(.respondToCaller(status: 183, relaying: MachineHarness.response(1, 183, sdp: true))))
        guard case .earlyMedia(_, let source) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(source == .n(1))
        h.wait(.seconds(10))
        let next = h.ringTimeout()
        let cancel = try #require(next.firstIndex(of: .cancelLeg(.n(1), .none)))
        let dialog = try #require(next.firstIndex(of: .newCallerEarlyDialog))
        let ringback = try #require(next.firstIndex(of: .respondToCaller(status: 180, relaying: nil)))
        #expect(cancel < dialog && dialog < ringback)
        #expect(MachineHarness.placed(next) == [2])
        guard case .ringing = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(h.respond(1, 183, sdp: true) == [], "a cancelled leg's early media never reaches the caller")
        let second = h.respond(2, 183, sdp: true)
        #expect(MachineHarness.callerStatuses(second) == [183])
        #expect(h.recorded(.ringing, leg: nil).count == 1, "the caller's leg rang once")
    }

    /// With several legs ringing at once no early media passes (no mixing).
    @Test func noEarlyMediaFromARingAllGroup() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(2))
        h.invite()
        #expect(MachineHarness.callerStatuses(h.respond(1, 183, sdp: true)) == [180])
        guard case .ringing = h.machine.state else { Issue.record("\(h.machine.state)"); return }
    }

    @Test func thenFallbackRunsAfterThePlanFails() throws {
        var h = try MachineHarness(plans: """
            main:
              ring-all: { targets: ["sip:a@192.0.2.1", "sip:b@192.0.2.2"], timeout: 5s }
              then: backup
            backup:
              sequential:
                - { target: "sip:c@192.0.2.3", timeout: 7s }
            """)
        h.invite()
        h.respond(1, 486)
        let fallback = h.respond(2, 603)
        #expect(MachineHarness.placed(fallback) == [3])
        #expect(fallback.contains(.startTimer(.group(generation: 2), after: .seconds(7))))
        #expect(h.machine.ringing?.position == .init(attempt: 1, group: 0))
        h.wait(.seconds(7))
        let end = h.ringTimeout()
        #expect(MachineHarness.callerStatuses(end) == [603], "§16.7: a 6xx from any attempt wins")
        #expect(h.machine.state == .ending(.declined))
        h.respond(3, 487)
        #expect(h.machine.state == .ended(.declined))
    }
}
