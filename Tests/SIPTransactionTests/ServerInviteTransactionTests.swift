import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct ServerInviteTransactionTests {
    let invite = SIPTestKit.invite()

    @Test func autoTryingAfter200msUnlessTUSpoke() throws {
        var tx = ServerInviteTransaction(request: invite, reliable: false)
        #expect(tx.start() == [.startTimer(.trying, after: ms(200))])
        let actions = tx.timerFired(.trying)
        let trying = try #require(actions.sentMessages.first?.response)
        #expect(trying.statusCode == 100 && trying.to.tag == nil)

        var quiet = ServerInviteTransaction(request: invite, reliable: false)
        _ = quiet.start()
        let ringing = SIPTestKit.response(180, to: invite)
        #expect(quiet.sendResponse(ringing) == [.cancelTimer(.trying), .send(.response(ringing))])
        #expect(quiet.timerFired(.trying).isEmpty)

        var off = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        #expect(off.start().isEmpty)
    }

    @Test func retransmittedInviteInProceedingResendsLastProvisional() {
        var tx = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        #expect(tx.receivedRequest(invite).isEmpty) // nothing sent yet
        let ringing = SIPTestKit.response(180, to: invite)
        _ = tx.sendResponse(SIPTestKit.response(100, to: invite))
        _ = tx.sendResponse(ringing)
        #expect(tx.receivedRequest(invite) == [.send(.response(ringing))])
    }

    /// Accepted keeps only the 2xx's To tag (for RFC 2543 ACK matching and CANCEL's 200): the
    /// TU retransmits the 2xx itself (RFC 6026 §8.7), so neither the 2xx nor the last 1xx is
    /// held for Timer L's 32 s.
    @Test func acceptedKeepsTheToTagNotTheResponses() {
        var tx = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        var ringing = SIPTestKit.response(180, to: invite)
        ringing.to.tag = "callee-1"
        _ = tx.sendResponse(ringing)
        #expect(tx.lastProvisional == ringing && tx.lastToTag == "callee-1")
        var ok = SIPTestKit.response(200, to: invite)
        ok.to.tag = "callee-1"
        #expect(tx.sendResponse(ok) == [.send(.response(ok)), .startTimer(.l, after: s(32))])
        #expect(tx.state == .accepted)
        #expect(tx.finalResponse == nil && tx.lastProvisional == nil && tx.lastToTag == "callee-1")
        #expect(tx.receivedRequest(invite).isEmpty)  // absorbed, nothing resent
        #expect(tx.sendResponse(ok) == [.send(.response(ok))])  // the TU's retransmission goes out
    }

    @Test func non2xxCompletedWithGCappedAtT2AndHTimeout() {
        var tx = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        let busy = SIPTestKit.response(486, to: invite)
        let actions = tx.sendResponse(busy)
        #expect(tx.state == .completed)
        #expect(actions.startedTimers == [.g: ms(500), .h: s(32)])
        var intervals: [Duration] = []
        for _ in 0..<5 {
            let g = tx.timerFired(.g)
            #expect(g.sentMessages == [.response(busy)])
            intervals.append(g.startedTimers[.g]!)
        }
        #expect(intervals == [s(1), s(2), s(4), s(4), s(4)])
        #expect(tx.receivedRequest(invite) == [.send(.response(busy))])
        #expect(tx.timerFired(.h) == [.cancelTimer(.g), .timeout, .terminated])
    }

    @Test func ackConfirmsThenITerminates() {
        var tx = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        let busy = SIPTestKit.response(486, to: invite)
        _ = tx.sendResponse(busy)
        let ack = SIPTestKit.ack(for: invite, response: busy)
        #expect(tx.receivedRequest(ack) == [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, after: s(5))])
        #expect(tx.state == .confirmed)
        #expect(tx.receivedRequest(ack).isEmpty) // absorbed
        #expect(tx.receivedRequest(invite).isEmpty)
        #expect(tx.timerFired(.g).isEmpty)
        #expect(tx.timerFired(.i) == [.terminated])
    }

    @Test func reliableHasNoGAndZeroI() {
        var tx = ServerInviteTransaction(request: invite, reliable: true, sendsTryingAutomatically: false)
        let busy = SIPTestKit.response(486, to: invite)
        #expect(tx.sendResponse(busy).startedTimers == [.h: s(32)])
        #expect(tx.timerFired(.g).isEmpty)
        #expect(tx.receivedRequest(SIPTestKit.ack(for: invite, response: busy)) == [.cancelTimer(.h), .terminated])
    }

    @Test func twoHundredAcceptedAbsorbsInviteAndPassesAck() {
        var tx = ServerInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let ok = SIPTestKit.response(200, to: invite)
        #expect(tx.sendResponse(ok) == [.cancelTimer(.trying), .send(.response(ok)), .startTimer(.l, after: s(32))])
        #expect(tx.state == .accepted)
        #expect(tx.receivedRequest(invite).isEmpty)
        let ack = SIPTestKit.ackFor2xx(for: invite, response: ok)
        #expect(tx.receivedRequest(ack) == [.passToTU(.request(ack))])
        #expect(tx.sendResponse(ok) == [.send(.response(ok))]) // TU retransmits its 2xx
        #expect(tx.sendResponse(SIPTestKit.response(486, to: invite)).isEmpty)
        #expect(tx.timerFired(.l) == [.terminated])
    }

    @Test func secondFinalIsRefused() {
        var tx = ServerInviteTransaction(request: invite, reliable: false, sendsTryingAutomatically: false)
        _ = tx.sendResponse(SIPTestKit.response(486, to: invite))
        #expect(tx.sendResponse(SIPTestKit.response(200, to: invite)).isEmpty)
        #expect(tx.sendResponse(SIPTestKit.response(180, to: invite)).isEmpty)
    }

    @Test func transportErrorInProceeding() {
        var tx = ServerInviteTransaction(request: invite, reliable: false)
        _ = tx.start()
        let actions = tx.transportFailed()
        #expect(actions.contains(.transportError) && actions.last == .terminated)
    }
}
