import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct ServerNonInviteTransactionTests {
    let bye = SIPTestKit.request(.bye, toTag: "callee")

    @Test func tryingAbsorbsRetransmissions() {
        var tx = ServerNonInviteTransaction(request: bye, reliable: false)
        #expect(tx.state == .trying)
        #expect(tx.receivedRequest(bye).isEmpty)
    }

    @Test func proceedingResendsProvisional() {
        var tx = ServerNonInviteTransaction(request: bye, reliable: false)
        let trying = SIPTestKit.response(100, to: bye)
        #expect(tx.sendResponse(trying) == [.send(.response(trying))])
        #expect(tx.state == .proceeding)
        #expect(tx.receivedRequest(bye) == [.send(.response(trying))])
    }

    @Test func completedResendsFinalUntilJ() {
        var tx = ServerNonInviteTransaction(request: bye, reliable: false)
        let ok = SIPTestKit.response(200, to: bye)
        #expect(tx.sendResponse(ok) == [.send(.response(ok)), .startTimer(.j, after: s(32))])
        #expect(tx.state == .completed)
        #expect(tx.receivedRequest(bye) == [.send(.response(ok))])
        #expect(tx.sendResponse(SIPTestKit.response(500, to: bye)).isEmpty)
        #expect(tx.timerFired(.j) == [.terminated])
        #expect(tx.state == .terminated)
    }

    @Test func reliableJIsZero() {
        var tx = ServerNonInviteTransaction(request: bye, reliable: true)
        let ok = SIPTestKit.response(200, to: bye)
        #expect(tx.sendResponse(ok) == [.send(.response(ok)), .terminated])
    }

    @Test func transportErrorInCompleted() {
        var tx = ServerNonInviteTransaction(request: bye, reliable: false)
        _ = tx.sendResponse(SIPTestKit.response(200, to: bye))
        #expect(tx.transportFailed() == [.cancelTimer(.j), .transportError, .terminated])
    }
}
