import CallLegs
import Foundation
import SIPMessage
import SIPTestKit
import SIPTransaction
import Testing
@testable import CallEngine

/// The engine as the driver of `CallStateMachine`, through the real parser, transaction
/// layer and `B2BUA` on a recording transport and a fake clock: the machine's decisions
/// become the right messages, records and freed tables.
@Suite struct CallEngineDriverTests {
    final class Events: LegEventSink {
        var all: [LegEvent] = []
        func record(_ event: LegEvent) { all.append(event) }
    }

    static func carrierCancel() -> [String] {
        [
            "CANCEL sip:+13125550100@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-carrier-1;rport",
            "Max-Forwards: 70",
            "From: A <sip:+14155550123@carrier.example>;tag=abc",
            "To: <sip:+13125550100@127.0.0.1>",
            "Call-ID: call-1@carrier.example",
            "CSeq: 7 CANCEL",
        ]
    }

    /// The callee rang, we cancelled, and it never answered again (no 487, no 200 for the
    /// CANCEL): 64·T1 later the leg is recorded, its INVITE transaction destroyed (§9.1) and
    /// the engine's tables are empty. Before, the transaction stayed in the layer for ever.
    @Test func aLegSilentAfterOurCancelIsFreedAfter64T1() throws {
        let h = try DialogHarness()
        let events = Events()
        h.engine.observer = events
        try h.receive(DialogHarness.carrierInvite(), from: h.carrier)
        let invite = try #require(h.requests(.invite, to: DialogHarness.callee).first)
        try h.receive(.response(SIPTestKit.response(180, to: invite, toTag: DialogHarness.calleeTag)), from: DialogHarness.callee)
        try h.receive(Self.carrierCancel(), from: h.carrier)
        #expect(h.responses(487, method: .invite, to: h.carrier).count == 1)
        #expect(h.requests(.cancel, to: DialogHarness.callee).count >= 1)
        #expect(h.engine.activeCallCount == 0, "over for the caller at once")
        #expect(!h.engine.legsByTransaction.isEmpty, "the leg still owes its final response")
        let outbound = try #require(events.all.first { $0.origin?.direction == .outbound }?.legID)
        #expect(!events.all.contains { $0.legID == outbound && $0.kind == .ended })
        h.clock.advance(by: .milliseconds(500) * 64)
        #expect(h.engine.legsByTransaction.isEmpty)
        #expect(h.layer.activeClientTransactionCount == 0, "the INVITE transaction was destroyed")
        let ended = try #require(events.all.first { $0.legID == outbound && $0.kind == .ended })
        #expect(ended.finalStatus == 487 && ended.endReason == .callerCancelled)
        // A 487 after that is a stray response: nothing is recorded twice.
        try h.receive(.response(SIPTestKit.response(487, to: invite, toTag: DialogHarness.calleeTag)), from: DialogHarness.callee)
        #expect(events.all.filter { $0.legID == outbound && $0.kind == .ended }.count == 1)
    }

    /// The callee declines (603): the engine's leg events are the stored model itself, so
    /// the outbound leg ends `declined` with its 603 and both legs' events name their origin
    /// (issue 18 item 3: no mapping folds `declined` into `rejected` any more).
    @Test func aDeclineIsRecordedAsDeclinedWithItsStatus() throws {
        let h = try DialogHarness()
        let events = Events()
        h.engine.observer = events
        try h.receive(DialogHarness.carrierInvite(), from: h.carrier)
        let invite = try #require(h.requests(.invite, to: DialogHarness.callee).first)
        try h.receive(.response(SIPTestKit.response(603, to: invite, toTag: DialogHarness.calleeTag)), from: DialogHarness.callee)
        #expect(h.responses(603, method: .invite, to: h.carrier).count == 1)
        let outbound = try #require(events.all.first { $0.origin?.direction == .outbound })
        #expect(outbound.origin?.account == "a" && outbound.origin?.trackingNumber == "+13125550100")
        let inbound = try #require(events.all.first { $0.origin?.direction == .inbound })
        let outEnd = try #require(events.all.first { $0.legID == outbound.legID && $0.kind == .ended })
        #expect(outEnd.finalStatus == 603 && outEnd.endReason == .declined)
        let inEnd = try #require(events.all.first { $0.legID == inbound.legID && $0.kind == .ended })
        #expect(inEnd.finalStatus == 603)
    }

    /// A forking proxy behind the target answers twice with different To tags: the second
    /// dialog gets its own ACK and a BYE, the first stays bridged and its leg answered.
    @Test func aSecond2xxFromAnotherForkIsAckedAndByedAndTheWinnerStaysAnswered() throws {
        let h = try DialogHarness()
        let events = Events()
        h.engine.observer = events
        let invite = try h.answeredCall()
        var fork = SIPTestKit.response(200, to: invite, toTag: "other-fork")
        fork.contacts = [NameAddress(uri: SIPTestKit.sipURI("sip:fork@127.0.0.1:5090"))]
        try h.receive(.response(fork), from: DialogHarness.callee)
        let forkAcks = h.requests(.ack, to: DialogHarness.callee).filter { $0.to.tag == "other-fork" }
        let forkByes = h.requests(.bye, to: DialogHarness.callee).filter { $0.to.tag == "other-fork" }
        #expect(forkAcks.count == 1 && forkByes.count == 1)
        #expect(h.requests(.bye, to: DialogHarness.callee).filter { $0.to.tag == DialogHarness.calleeTag }.isEmpty)
        #expect(h.engine.bridgedCallCount == 1)
        let outbound = try #require(events.all.first { $0.origin?.direction == .outbound }?.legID)
        #expect(!events.all.contains { $0.legID == outbound && $0.kind == .ended }, "the winner's record stays answered")
        // The fork's 2xx again: the same ACK again (§13.2.2.4), no second BYE.
        try h.receive(.response(fork), from: DialogHarness.callee)
        #expect(h.requests(.ack, to: DialogHarness.callee).filter { $0.to.tag == "other-fork" }.count == 2)
        #expect(h.requests(.bye, to: DialogHarness.callee).filter { $0.to.tag == "other-fork" }.count == 1)
    }

    /// Re-INVITE glare (§14.2): the callee's re-INVITE is relayed to the caller; the caller's,
    /// crossing it, is answered 491 by us and never reaches the callee.
    @Test func reinviteGlareIsAnswered491() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        try h.calleeRequest("INVITE", cseq: 5, branch: "z9hG4bK-callee-reinvite", invite: invite, body: "v=0\r\n")
        // Toward the caller's route set (its first Record-Route), in the caller's dialog.
        #expect(h.requests(.invite).filter { $0.callID == "call-1@carrier.example" }.count == 1)
        let toCallee = h.requests(.invite, to: DialogHarness.callee).count
        try h.callerRequest("INVITE", cseq: 8, branch: "z9hG4bK-caller-glare", body: "v=0\r\n")
        #expect(h.responses(491, method: .invite, to: h.carrier).count == 1)
        #expect(h.requests(.invite, to: DialogHarness.callee).count == toCallee)
    }

    /// The registrar's bindings, as the daemon's locator answers them from memory.
    final class Registrations: AgentLocator, @unchecked Sendable {
        var bindings: [String: [AgentContact]] = [:]
        func contacts(ofAgent agent: String, account: String) -> [AgentContact] { account == "a" ? bindings[agent] ?? [] : [] }
        func agent(withNumber number: String) -> (account: String, agent: String)? { nil }
    }

    static let bobPlan = "main:\n  ring-all: { targets: [\"agent:bob\"], timeout: 30s }"
    static let phone1 = SIPPeer(transport: .udp, host: "127.0.0.1", port: 5091)
    static let phone2 = SIPPeer(transport: .udp, host: "127.0.0.1", port: 5092)

    /// A registered agent with two bindings, on the machine: one INVITE per binding, each to
    /// its registered Contact over the flow it registered from with its Path as Route set
    /// (RFC 3327), none to the static contact; the first answer wins and the other binding
    /// is cancelled as completed elsewhere.
    @Test func aRegisteredAgentRingsEachBindingAndTheFirstAnswerWins() throws {
        let h = try DialogHarness(plans: Self.bobPlan, agents: "bob: \"sip:bob@127.0.0.1:5090\"")
        let registrations = Registrations()
        let path = NameAddress(uri: SIPTestKit.sipURI("sip:edge.example;lr"))
        registrations.bindings["bob"] = [
            AgentContact(uri: SIPTestKit.sipURI("sip:bob@10.0.0.1:5062"), flow: Self.phone1, route: [path]),
            AgentContact(uri: SIPTestKit.sipURI("sip:bob@10.0.0.2:5062"), flow: Self.phone2),
        ]
        h.engine.agentLocator = registrations
        try h.receive(DialogHarness.carrierInvite(), from: h.carrier)
        #expect(h.engine.calls.values.first?.machine != nil, "the call runs on the state machine")
        let first = try #require(h.requests(.invite, to: Self.phone1).first)
        let second = try #require(h.requests(.invite, to: Self.phone2).first)
        #expect(first.uri == SIPTestKit.sipURI("sip:bob@10.0.0.1:5062") && first.routes == [path])
        #expect(second.uri == SIPTestKit.sipURI("sip:bob@10.0.0.2:5062") && second.routes.isEmpty)
        #expect(h.requests(.invite, to: DialogHarness.callee).isEmpty, "the static contact rings only without a binding")

        try h.receive(.response(SIPTestKit.response(180, to: first, toTag: "phone-1")), from: Self.phone1)
        try h.receive(.response(SIPTestKit.response(180, to: second, toTag: "phone-2")), from: Self.phone2)
        var ok = SIPTestKit.response(200, to: second, toTag: "phone-2")
        ok.contacts = [NameAddress(uri: SIPTestKit.sipURI("sip:bob@127.0.0.1:5092"))]
        try h.receive(.response(ok), from: Self.phone2)
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 1)
        let cancel = try #require(h.requests(.cancel, to: Self.phone1).first)
        #expect(cancel.headers.values("Reason").first?.contains("cause=200") == true)
        #expect(h.requests(.cancel, to: Self.phone2).isEmpty)
        #expect(h.engine.bridgedCallCount == 1)
    }

    /// With no live binding the agent rings its static contact from the dialplan, still on
    /// the machine.
    @Test func anUnregisteredAgentRingsItsStaticContact() throws {
        let h = try DialogHarness(plans: Self.bobPlan, agents: "bob: \"sip:bob@127.0.0.1:5090\"")
        h.engine.agentLocator = Registrations()
        try h.receive(DialogHarness.carrierInvite(), from: h.carrier)
        #expect(h.engine.calls.values.first?.machine != nil)
        let invite = try #require(h.requests(.invite, to: DialogHarness.callee).first)
        #expect(invite.uri == SIPTestKit.sipURI("sip:bob@127.0.0.1:5090") && invite.routes.isEmpty)
        #expect(h.transport.sent.filter { $0.peer == Self.phone1 || $0.peer == Self.phone2 }.isEmpty)
    }
}
