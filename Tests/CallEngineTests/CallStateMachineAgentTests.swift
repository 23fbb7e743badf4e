import Foundation
import SIPMessage
import SIPTestKit
import Testing
@testable import CallEngine

/// `agent:NAME` targets on the state machine (issue 15, issue 12 item 1): every live binding
/// of a registered agent is a leg of its own in the group, ringing in parallel (the first
/// answer wins, as ring-all); with none, the dialplan's static contact. Coverage table:
/// docs/call-state-machine.md.
@Suite struct CallStateMachineAgentTests {
    static func binding(_ n: Int) -> AgentContact {
        AgentContact(uri: SIPTestKit.sipURI("sip:bob@10.0.0.\(n):5062;transport=tcp"),
                     flow: SIPPeer(transport: .tcp, host: "127.0.0.\(n + 10)", port: 40000 + n),
                     route: [NameAddress(uri: SIPTestKit.sipURI("sip:edge\(n).example;lr"))])
    }

    static let agents = "bob: \"sip:bob@192.0.2.50\"\ncarol: ~"

    /// Two bindings of bob and a plain target: three legs at once; one binding's answer wins
    /// and the other two are cancelled as completed elsewhere. A 2xx from the other binding
    /// crossing our CANCEL is ACKed, BYEd and recorded as answered (what really happened).
    @Test func eachBindingIsALegAndTheFirstAnswerWins() throws {
        var h = try MachineHarness(plans: "main:\n  ring-all: { targets: [\"agent:bob\", \"sip:t@192.0.2.9\"], timeout: 20s }",
                                   agents: Self.agents)
        h.machine.agentBindings = ["bob": [Self.binding(1), Self.binding(2)]]
        let start = h.invite()
        #expect(MachineHarness.placed(start) == [1, 2, 3])
        #expect(MachineHarness.bindings(start) == [1: Self.binding(1), 2: Self.binding(2), 3: nil])
        #expect(h.machine.legs[.n(1)]?.plan.target == "agent:bob" && h.machine.legs[.n(3)]?.plan.target == "sip:t@192.0.2.9")
        #expect(h.machine.ringing?.legs == [.n(1), .n(2), .n(3)])

        // Three legs ring: one binding's early media is not passed through, the caller hears 180.
        #expect(MachineHarness.callerStatuses(h.respond(1, 183, sdp: true)) == [180])
        h.respond(2, 180)
        h.wait(.seconds(2))
        let answer = h.respond(1, 200, sdp: true)
        #expect(answer.contains(.cancelLeg(.n(2), .completedElsewhere)) && answer.contains(.cancelLeg(.n(3), .completedElsewhere)))
        #expect(MachineHarness.callerStatuses(answer) == [200])
        #expect(h.machine.bridge?.winner == .n(1))

        h.wait(.milliseconds(10))
        let late = h.respond(2, 200)
        #expect(late.contains(.ackAndBye(.n(2), MachineHarness.response(2, 200))))
        #expect(MachineHarness.callerStatuses(late) == [])
        #expect(h.recorded(.answered, leg: 2).count == 1)
        let ended = try #require(h.recorded(.ended, leg: 2).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .answeredElsewhere)
        #expect(h.machine.bridge?.winner == .n(1), "the first answer stays bridged")
    }

    /// No live binding: the agent rings once, at its static contact; an agent with neither
    /// is one leg the driver cannot place (480 for §16.7).
    @Test func withoutABindingTheStaticContactRings() throws {
        var h = try MachineHarness(plans: "main:\n  ring-all: { targets: [\"agent:bob\", \"agent:carol\"], timeout: 20s }",
                                   agents: Self.agents)
        h.machine.agentBindings = ["bob": [], "carol": []]
        let start = h.invite()
        #expect(MachineHarness.bindings(start) == [1: nil, 2: nil])
        #expect(h.machine.legs[.n(1)]?.plan.contact == "sip:bob@192.0.2.50")
        #expect(h.machine.legs[.n(2)]?.plan.contact == nil)
        h.feed { m, now in m.legNotPlaced(.n(2), now: now) }
        #expect(h.machine.ringing?.legs == [.n(1), .n(2)], "bob still rings")
        let end = h.respond(1, 486)
        #expect(MachineHarness.callerStatuses(end) == [486])
        #expect(h.recorded(.ended, leg: 2).isEmpty, "never placed, never recorded")
    }

    /// Bindings are read when a group rings, not when the call came in: bob registers while
    /// the first step rings and the second step rings his one binding, which alone in its
    /// group may pass its early media through.
    @Test func aLaterGroupRingsTheBindingsOfThatMoment() throws {
        var h = try MachineHarness(plans: """
            main:
              sequential:
                - { target: "sip:s1@192.0.2.1", timeout: 10s }
                - { target: "agent:bob", timeout: 15s }
            """, agents: Self.agents)
        #expect(Machine.agentNames(in: h.machine.attempts) == ["bob"])
        #expect(MachineHarness.placed(h.invite()) == [1])
        h.machine.agentBindings = ["bob": [Self.binding(3)]]
        let next = h.respond(1, 480)
        #expect(MachineHarness.bindings(next) == [2: Self.binding(3)])
        #expect(next.contains(.startTimer(.group(generation: 2), after: .seconds(15))))
        let early = h.respond(2, 183, sdp: true)
        #expect(early.contains(.respondToCaller(status: 183, relaying: MachineHarness.response(2, 183, sdp: true))))
        guard case .earlyMedia(_, let source) = h.machine.state else { Issue.record("\(h.machine.state)"); return }
        #expect(source == .n(2))
    }

    /// The caller cancels while both bindings ring: both are cancelled, the caller gets 487,
    /// and the call ends once each binding's final response came.
    @Test func callerCancelWhileBindingsRing() throws {
        var h = try MachineHarness(plans: "main:\n  ring-all: { targets: [\"agent:bob\"], timeout: 20s }", agents: Self.agents)
        h.machine.agentBindings = ["bob": [Self.binding(1), Self.binding(2)]]
        h.invite()
        h.respond(1, 180)
        let cancel = h.cancel()
        #expect(MachineHarness.cancelled(cancel) == [1, 2])
        #expect(MachineHarness.callerStatuses(cancel) == [487])
        #expect(h.machine.state == .ending(.callerCancelled))
        h.respond(1, 487)
        h.respond(2, 487)
        #expect(h.machine.state == .ended(.callerCancelled))
        #expect(h.recorded(.ended, leg: 1).first?.endReason == .callerCancelled)
    }

    /// The caller hangs up (BYE in its early dialog) while both bindings ring, and one phone
    /// answers after that: its 2xx is ACKed and BYEd, never reaches the caller, and its leg
    /// is recorded as answered and ended (what really happened), the call ending once the
    /// other binding's 487 came.
    @Test func aBindingAnsweringAfterTheCallerHungUp() throws {
        var h = try MachineHarness(plans: "main:\n  ring-all: { targets: [\"agent:bob\"], timeout: 20s }", agents: Self.agents)
        h.machine.agentBindings = ["bob": [Self.binding(1), Self.binding(2)]]
        h.invite()
        h.respond(1, 180)
        h.respond(2, 180)
        let bye = h.request(.bye, from: .caller)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(MachineHarness.cancelled(bye) == [1, 2] && MachineHarness.callerStatuses(bye) == [487])
        h.wait(.milliseconds(40))
        let late = h.respond(2, 200)
        #expect(late.contains(.ackAndBye(.n(2), MachineHarness.response(2, 200))))
        #expect(MachineHarness.callerStatuses(late) == [])
        #expect(h.recorded(.answered, leg: 2).count == 1)
        let ended = try #require(h.recorded(.ended, leg: 2).first)
        #expect(ended.finalStatus == 200 && ended.endReason == .callerCancelled && ended.time == h.now)
        #expect(h.machine.state == .ending(.callerCancelled), "binding 1 still owes its final response")
        h.respond(1, 487)
        #expect(h.machine.state == .ended(.callerCancelled))
    }
}
