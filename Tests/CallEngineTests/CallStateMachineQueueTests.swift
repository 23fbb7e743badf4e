import Foundation
import SIPMessage
import Testing
@testable import CallEngine

/// Queue calls on the state machine, race by race (issue 12 items 1 and 2): we answer the
/// caller, it waits in the `queued` state (its `QueueWaitMachine` as per-state data), the
/// driver's dispatch offers agents (`queueOffer`), the first agent's 2xx is bridged by
/// relaying. Fake clock, no sockets. Coverage table: docs/call-state-machine.md.
@Suite struct CallStateMachineQueueTests {
    static let a1 = "sip:a1@192.0.2.11"
    static let a2 = "sip:a2@192.0.2.12"

    static func plans(then: Bool = false) -> String {
        """
        main:
          queue: { agents: ["\(a1)", "\(a2)"], strategy: linear, hold-music: p.wav, max-wait: 60s, agent-timeout: 15s }
        \(then ? "  then: backup\nbackup:\n  ring-all: { targets: [\"sip:b1@192.0.2.21\"], timeout: 20s }" : "")
        """
    }

    /// Answered by us, leg media opened, the caller queued; an offer rings agent 1.
    static func queued(then: Bool = false, announce: Bool = false) throws -> MachineHarness {
        var h = try MachineHarness(plans: plans(then: then))
        if announce {
            h.machine.anchoredSpecs["main"] = .queue(QueueWaitMachine(maxWait: .seconds(60), agentTimeout: .seconds(15),
                                                                      announceEvery: .seconds(30)))
        }
        #expect(h.invite() == [.openCallerMedia])
        let answered = h.callerMediaOpened()
        #expect(answered.first == .answerCaller)
        #expect(answered.last == .openLegMedia, "the agents get our offer: that session first")
        h.ack()
        let joined = h.legMediaOpened()
        #expect(joined.first == .joinQueue(plan: "main", agents: [
            .init(target: a1, contact: nil, timeout: 15, callerID: "+14155550123"),
            .init(target: a2, contact: nil, timeout: 15, callerID: "+14155550123"),
        ]))
        #expect(joined.contains(.play(.hold(plan: "main"))))
        #expect(joined.contains(.startTimer(.queue(.maxWait), after: .seconds(60))))
        #expect(joined.last == .dispatchQueue(plan: "main"))
        return h
    }

    /// The agent's 2xx is bridged: ACKed at once, the wait's timers cancelled, the agent
    /// marked busy by the driver, RTP relayed; the agent's BYE ends the call and the caller
    /// leaves the queue (the agent's wrap-up).
    @Test func anOfferedAgentAnswersAndIsBridged() throws {
        var h = try Self.queued()
        guard case .queued(_, let stay) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(stay.plan == "main" && stay.wait.offer == QueueWaitMachine.Offer.none)
        let offer = h.offer([Self.a1])
        #expect(MachineHarness.placed(offer) == [1])
        #expect(offer.contains(.startTimer(.queue(.agent(offer: 1)), after: .seconds(15))))
        #expect(h.offer([Self.a2]) == [.releaseQueueAgents], "one offer at a time: the agent goes back")
        #expect(MachineHarness.callerStatuses(h.respond(1, 180)) == [])
        let answer = h.respond(1, 200, sdp: true)
        let response = MachineHarness.response(1, 200, sdp: true)
        #expect(answer.prefix(2) == [.bridgeLeg(.n(1), response), .ackLeg(.n(1), relaying: nil)])
        #expect(answer.contains(.cancelTimer(.queue(.maxWait))))
        #expect(answer.contains(.cancelTimer(.queue(.agent(offer: 1)))))
        #expect(answer.contains(.queueAnswered(.n(1))))
        #expect(answer.last == .connectLegMedia(.n(1), response))
        guard case .anchoredBridged(let anchor, _) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(anchor.queuePlan == "main")
        #expect(h.fire(.queue(.maxWait)) == [], "stale once bridged")

        let bye = h.request(.bye, from: .callee)
        #expect(bye.contains(.byeCaller))
        #expect(bye.contains(.leaveQueue(plan: "main", .ended)))
        #expect(bye.contains(.closeMedia))
        #expect(bye.last == .callOver(status: 200, reason: .completed))
    }

    /// A 2xx after our CANCEL in a queue: agent 1 rang for agent-timeout, we cancelled it
    /// and offered the next; its 2xx crossing the CANCEL is ACKed and BYEd, recorded answered
    /// then ended (what really happened), and the caller stays in the line.
    @Test func a2xxAfterOurCancelInAQueue() throws {
        var h = try Self.queued()
        h.offer([Self.a1])
        h.respond(1, 180)
        h.wait(.seconds(15))
        let timeout = h.fire(.queue(.agent(offer: 1)))
        #expect(timeout == [.cancelLeg(.n(1), .none), .startTimer(.cancelGiveUp(.n(1)), after: MachineHarness.t1 * 64),
                            .releaseQueueAgents, .dispatchQueue(plan: "main")])
        h.wait(.milliseconds(20))
        let late = h.respond(1, 200)
        #expect(late.contains(.ackAndBye(.n(1), MachineHarness.response(1, 200))))
        #expect(!late.contains(.queueAnswered(.n(1))))
        #expect(h.recorded(.answered, leg: 1).first?.time == h.now)
        let ended = try #require(h.recorded(.ended, leg: 1).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .agentNoAnswer)
        guard case .queued = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        // The next agent is offered and rings.
        #expect(MachineHarness.placed(h.offer([Self.a2])) == [2])
    }

    /// Max-wait fires as the agent answers. Max-wait first: the agent leg is cancelled, the
    /// caller leaves the line and goes on to `then:` (still ours: ringback, our offer); the
    /// agent's 2xx is ACKed, BYEd and recorded answered.
    @Test func queueTimeoutRacingAnAgents2xx() throws {
        var h = try Self.queued(then: true)
        h.offer([Self.a1])
        h.respond(1, 180)
        h.wait(.seconds(60))
        let timeout = h.fire(.queue(.maxWait))
        #expect(timeout.first == .cancelLeg(.n(1), .none))
        #expect(timeout.contains(.leaveQueue(plan: "main", .timedOut)))
        #expect(timeout.contains(.play(.ringback)))
        #expect(MachineHarness.placed(timeout) == [2], "then: backup rings at once (the leg session is open)")
        #expect(!timeout.contains(.byeCaller))
        let late = h.respond(1, 200)
        #expect(late.contains(.ackAndBye(.n(1), MachineHarness.response(1, 200))))
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .queueTimeout)
        #expect(h.recorded(.ended, leg: 1).first?.finalStatus == 200)
        guard case .anchoredRinging(let anchor, let ringing) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(ringing.legs == [.n(2)] && anchor.failureReason == .queueTimeout && anchor.queuePlan == nil)
        // Backup busy: the call ends as a queue timeout, BYE to the caller, no second leave.
        let busy = h.respond(2, 486)
        #expect(busy.last == .callOver(status: 200, reason: .queueTimeout))
        #expect(!busy.contains(where: { if case .leaveQueue = $0 { true } else { false } }))

        // The agent's 2xx first: bridged; max-wait firing after it is stale.
        var won = try Self.queued(then: true)
        won.offer([Self.a1])
        #expect(won.respond(1, 200).contains(.queueAnswered(.n(1))))
        #expect(won.fire(.queue(.maxWait)) == [])
        guard case .anchoredBridged = won.machine.state else { Issue.record("\(won.machine.state)"); return }
    }

    /// The caller hangs up as the agent answers. BYE first: the ringing agent is cancelled,
    /// the caller leaves the line (abandoned); the agent's 2xx crossing our CANCEL is ACKed,
    /// BYEd and recorded answered. 2xx first: bridged, then the caller's BYE ends both sides.
    @Test func agentAnswersAsTheCallerHangsUp() throws {
        var h = try Self.queued()
        h.offer([Self.a1])
        h.respond(1, 180)
        let bye = h.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(bye.contains(.cancelLeg(.n(1), .none)))
        #expect(bye.contains(.cancelTimer(.queue(.maxWait))) && bye.contains(.cancelTimer(.queue(.agent(offer: 1)))))
        #expect(bye.contains(.leaveQueue(plan: "main", .ended)))
        #expect(!bye.contains(.byeCaller))
        #expect(bye.last == .callOver(status: 200, reason: .callerCancelled))
        guard case .ending = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        let late = h.respond(1, 200)
        #expect(late.contains(.ackAndBye(.n(1), MachineHarness.response(1, 200))))
        #expect(h.recorded(.answered, leg: 1).count == 1)
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .callerCancelled)
        #expect(h.machine.state == .ended(.callerCancelled))
        #expect(h.offer([Self.a2]) == [.releaseQueueAgents], "a dispatch racing the end offers nothing")

        var first = try Self.queued()
        first.offer([Self.a1])
        first.respond(1, 200)
        let after = first.request(.bye, from: .caller)
        #expect(after.contains(.byeLeg(.n(1))) && !after.contains(.byeCaller))
        #expect(after.last == .callOver(status: 200, reason: .completed))
    }

    /// A forking proxy behind an agent answers twice with different To tags: the second
    /// dialog is ACKed and BYEd, the first stays bridged and its leg record answered.
    @Test func twoTwoHundredsWithDifferentTagsOnAQueueAgentLeg() throws {
        var h = try Self.queued()
        h.offer([Self.a1])
        h.respond(1, 200, tag: "fork-a")
        let second = h.respond(1, 200, tag: "fork-b")
        #expect(second == [.ackAndBye(.n(1), MachineHarness.response(1, 200, tag: "fork-b"))])
        #expect(h.respond(1, 200, tag: "fork-b") == [.resendDismissedAck(.n(1), toTag: "fork-b")])
        #expect(h.respond(1, 200, tag: "fork-a") == [.resendAck(.n(1))])
        #expect(h.recorded(.answered, leg: 1).count == 1 && h.recorded(.ended, leg: 1).isEmpty)
        guard case .anchoredBridged(_, let bridge) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(bridge.winner == .n(1))
    }

    /// An agent busy: the offer ends, the agents go back and the line is dispatched again;
    /// every free agent tried: the round pause; no INVITE sent at all: look again shortly;
    /// position announcements between hold music.
    @Test func offersEndingRoundsAndAnnouncements() throws {
        var h = try Self.queued(announce: true)
        h.offer([Self.a1])
        let busy = h.respond(1, 486)
        #expect(busy.contains(.cancelTimer(.queue(.agent(offer: 1)))))
        #expect(busy.suffix(2) == [.releaseQueueAgents, .dispatchQueue(plan: "main")])
        guard case .queued(_, let stay) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(stay.tried == [Self.a1])
        #expect(h.feed { m, now in m.everyFreeAgentTried(now: now) } == [.startTimer(.queue(.retry), after: .seconds(1))])
        let retry = h.fire(.queue(.retry))
        #expect(retry == [.dispatchQueue(plan: "main")])
        guard case .queued(_, let reset) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(reset.tried.isEmpty, "a new round")
        #expect(h.offer([]) == [.startTimer(.queue(.redispatch), after: .milliseconds(100))])
        #expect(h.fire(.queue(.redispatch)) == [.dispatchQueue(plan: "main")])

        #expect(h.fire(.queue(.position)) == [.announcePosition(plan: "main")])
        #expect(h.feed { m, now in m.announcementEnded(played: true, now: now) }
            == [.play(.hold(plan: "main")), .startTimer(.queue(.position), after: .seconds(30))])
        h.fire(.queue(.position))
        #expect(h.feed { m, now in m.announcementEnded(played: false, now: now) } == [.startTimer(.queue(.position), after: .seconds(30))])
        // A leg that could not be placed at all ends the offer the same way.
        h.offer([Self.a2])
        let unplaced = h.feed { m, now in m.legNotPlaced(.n(2), now: now) }
        #expect(unplaced.suffix(2) == [.releaseQueueAgents, .dispatchQueue(plan: "main")])
        #expect(h.recorded(.ended, leg: 2).isEmpty, "never recorded: never sent")
    }

    /// Max-wait with nothing after it: our BYE to the caller, recorded as a queue timeout;
    /// a drain (hang-up) while queued ends it the same way with its own reason.
    @Test func maxWaitWithoutThenAndHangUpWhileQueued() throws {
        var h = try Self.queued()
        let timeout = h.fire(.queue(.maxWait))
        #expect(timeout.contains(.byeCaller) && timeout.contains(.closeMedia))
        #expect(timeout.last == .callOver(status: 200, reason: .queueTimeout))
        #expect(h.recorded(.ended, leg: nil).first?.endReason == .queueTimeout)

        var drained = try Self.queued()
        drained.offer([Self.a1])
        let hangUp = drained.feed { m, now in m.hangUp(reason: .shutdown, now: now) }
        #expect(hangUp.contains(.cancelLeg(.n(1), .none)) && hangUp.contains(.byeCaller))
        #expect(hangUp.contains(.leaveQueue(plan: "main", .ended)))
        #expect(hangUp.last == .callOver(status: 200, reason: .shutdown))
        #expect(drained.fire(.cancelGiveUp(.n(1))).contains(.abandonLeg(.n(1))))
        #expect(drained.machine.state == .ended(.shutdown))
    }

    /// The leg session cannot open: the call ends (an error), our BYE to the caller.
    @Test func theLegSessionFailing() throws {
        var h = try MachineHarness(plans: Self.plans())
        h.invite()
        h.callerMediaOpened()
        guard case .openingLegMedia = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(h.request(.bye, from: .callee) == [.answerRequest(status: 481)])
        let failed = h.feed { m, now in m.hangUp(reason: .error, now: now) }
        #expect(failed.contains(.byeCaller))
        #expect(failed.last == .callOver(status: 200, reason: .error))
        #expect(h.legMediaOpened() == [], "a session opening after the end is the driver's to close")
    }
}
