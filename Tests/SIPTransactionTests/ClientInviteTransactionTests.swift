import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct ClientInviteTransactionTests {
    let invite = SIPTestKit.invite(routes: [NameAddress(uri: SIPTestKit.sipURI("sip:proxy.example;lr"))])

    @Test func startSendsAndArmsAAndBOnUDP() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        let actions = tx.start()
        #expect(actions.sentMessages == [.request(invite)])
        #expect(actions.startedTimers == [.a: ms(500), .b: s(32)])
        #expect(tx.state == .calling)
    }

    @Test func startOnTCPArmsOnlyB() {
        var tx = ClientInviteTransaction(request: invite, reliable: true)
        #expect(tx.start().startedTimers == [.b: s(32)])
        // Timer A never runs on reliable transports, so a stray firing does nothing.
        #expect(tx.timerFired(.a).isEmpty)
    }

    @Test func timerADoublesWithoutCap() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let actions = tx.timerFired(.a)
            #expect(actions.sentMessages == [.request(invite)])
            intervals.append(actions.startedTimers[.a]!)
        }
        #expect(intervals == [s(1), s(2), s(4), s(8), s(16), s(32)])
    }

    @Test func timerBInCallingTimesOut() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let actions = tx.timerFired(.b)
        #expect(actions == [.cancelTimer(.a), .timeout, .terminated])
        #expect(tx.state == .terminated)
    }

    @Test func provisionalMovesToProceedingStopsRetransmissionsAndGoesToTU() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let ringing = SIPTestKit.response(180, to: invite)
        let actions = tx.receivedResponse(ringing)
        #expect(tx.state == .proceeding)
        #expect(actions.cancelledTimers == [.a, .b])
        #expect(actions.contains(.passToTU(.response(ringing))))
        #expect(tx.timerFired(.a).isEmpty)
        #expect(tx.timerFired(.b).isEmpty)
        // Further provisionals still reach the TU.
        #expect(tx.receivedResponse(SIPTestKit.response(183, to: invite)).count == 1)
    }

    @Test func non2xxFinalSendsAckAndStartsD() throws {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        _ = tx.receivedResponse(SIPTestKit.response(180, to: invite))
        let busy = SIPTestKit.response(486, to: invite, toTag: "callee-tag")
        let actions = tx.receivedResponse(busy)
        #expect(tx.state == .completed)
        #expect(actions.startedTimers == [.d: s(32)])
        #expect(actions.contains(.passToTU(.response(busy))))
        let ack = try #require(actions.sentMessages.first?.request)
        // §17.1.1.3
        #expect(ack.method == .ack)
        #expect(ack.uri == invite.uri)
        #expect(ack.vias == [invite.vias[0]])
        #expect(ack.vias[0].branch == invite.vias[0].branch)
        #expect(ack.to.tag == "callee-tag")
        #expect(ack.from == invite.from)
        #expect(ack.callID == invite.callID)
        #expect(ack.cSeq == CSeq(sequence: invite.cSeq.sequence, method: .ack))
        #expect(ack.routes == invite.routes)

        // Retransmitted final: ACK again, not passed up.
        let again = tx.receivedResponse(busy)
        #expect(again == [.send(.request(ack))])
        #expect(tx.timerFired(.d) == [.terminated])
        #expect(tx.state == .terminated)
    }

    @Test func non2xxOnTCPTerminatesAtOnce() {
        var tx = ClientInviteTransaction(request: invite, reliable: true)
        _ = tx.start()
        let actions = tx.receivedResponse(SIPTestKit.response(503, to: invite))
        #expect(actions.startedTimers.isEmpty)
        #expect(actions.last == .terminated)
        #expect(actions.sentMessages.count == 1) // the ACK
        #expect(tx.state == .terminated)
    }

    @Test func twoHundredGoesToAcceptedAndRetransmissionsReachTU() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let ok = SIPTestKit.response(200, to: invite)
        let actions = tx.receivedResponse(ok)
        #expect(tx.state == .accepted)
        #expect(actions.sentMessages.isEmpty) // the TU ACKs a 2xx
        #expect(actions.cancelledTimers == [.a, .b])
        #expect(actions.startedTimers == [.m: s(32)])
        #expect(actions.contains(.passToTU(.response(ok))))
        #expect(tx.receivedResponse(ok) == [.passToTU(.response(ok))])
        // A late non-2xx in Accepted is absorbed.
        #expect(tx.receivedResponse(SIPTestKit.response(486, to: invite)).isEmpty)
        #expect(tx.timerFired(.m) == [.terminated])
    }

    @Test func transportErrorInCallingInformsTU() {
        var tx = ClientInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let actions = tx.transportFailed()
        #expect(actions.contains(.transportError) && actions.last == .terminated)
        #expect(tx.state == .terminated)
    }
}
