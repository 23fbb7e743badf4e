import Foundation
import SIPMessage
import Testing
@testable import CallEngine

/// Requests inside the bridged call's two dialogs, on the state machine alone.
@Suite struct CallStateMachineDialogTests {
    static func bridged() throws -> MachineHarness {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200)
        h.ack()
        return h
    }

    /// Re-INVITE glare (§14.1, §14.2): the callee's re-INVITE is relayed to the caller; the
    /// caller's own re-INVITE crossing it gets 491; once the first completes, the caller's
    /// retry (after its random wait) is relayed.
    @Test func reinviteGlareGets491AndTheRetryGoesThrough() throws {
        var h = try Self.bridged()
        #expect(h.request(.invite, from: .callee) == [.relayRequest(towards: .caller)])
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)])
        #expect(h.request(.update, from: .caller) == [.answerRequest(status: 491)], "UPDATE glare too (RFC 3311 §5.2)")
        #expect(h.request(.invite, from: .callee) == [.answerRequest(status: 500)], "§14.2: overlaps its own")
        #expect(h.request(.info, from: .caller) == [.relayRequest(towards: .callee)], "no offer: relayed")
        h.feed { m, _ in m.relayedRequestCompleted(.invite, towards: .caller, status: 180) }
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)], "a provisional does not end it")
        h.feed { m, _ in m.relayedRequestCompleted(.invite, towards: .caller, status: 200) }
        #expect(h.request(.invite, from: .caller) == [.relayRequest(towards: .callee)])
    }

    /// A 491 from the far end goes back to the requester (the driver relays it) and ends the
    /// pending offer, so the requester's retry is relayed.
    @Test func a491FromTheFarEndLetsTheRetryThrough() throws {
        var h = try Self.bridged()
        #expect(h.request(.invite, from: .caller) == [.relayRequest(towards: .callee)])
        h.feed { m, _ in m.relayedRequestCompleted(.invite, towards: .callee, status: 491) }
        #expect(h.request(.invite, from: .caller) == [.relayRequest(towards: .callee)])
    }

    @Test func beforeTheAnswerNothingIsRelayed() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)])
        #expect(h.request(.update, from: .caller) == [.answerRequest(status: 481)])
        #expect(h.request(.info, from: .caller) == [.answerRequest(status: 481)])
        #expect(h.request(.bye, from: .callee) == [.answerRequest(status: 481)])
        #expect(h.machine.ringing != nil)
    }

    @Test func theCalleesByeEndsTheCall() throws {
        var h = try Self.bridged()
        h.wait(.seconds(42))
        let bye = h.request(.bye, from: .callee)
        #expect(bye.first == .answerRequest(status: 200))
        #expect(bye.contains(.byeCaller) && !bye.contains(.byeLeg(.n(1))))
        #expect(h.machine.state == .ended(.completed))
        #expect(h.recorded(.ended, leg: nil).first?.finalStatus == 200)
        #expect(h.request(.bye, from: .caller) == [.answerRequest(status: 481)])
        #expect(h.request(.invite, from: .caller) == [.answerRequest(status: 491)])
    }

    /// A BYE before the caller's ACK (allowed, §15): the callee is ACKed first (§15.1.1).
    @Test func theCallersByeBeforeItsAck() throws {
        var h = try MachineHarness(plans: MachineHarness.ringAll(1))
        h.invite()
        h.respond(1, 200)
        let bye = h.request(.bye, from: .caller)
        let ack = try #require(bye.firstIndex(of: .ackLeg(.n(1), relaying: nil)))
        let byeLeg = try #require(bye.firstIndex(of: .byeLeg(.n(1))))
        #expect(ack < byeLeg)
        #expect(bye.contains(.cancelTimer(.ackTimeout)))
    }
}
