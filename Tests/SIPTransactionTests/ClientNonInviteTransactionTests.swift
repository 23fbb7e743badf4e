import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct ClientNonInviteTransactionTests {
    let options = SIPTestKit.request(.options)

    @Test func timerEDoublesCappedAtT2InTrying() {
        var tx = ClientNonInviteTransaction(request: options, reliable: false)
        #expect(tx.start().startedTimers == [.e: ms(500), .f: s(32)])
        var intervals: [Duration] = []
        for _ in 0..<6 {
            let actions = tx.timerFired(.e)
            #expect(actions.sentMessages == [.request(options)])
            intervals.append(actions.startedTimers[.e]!)
        }
        #expect(intervals == [s(1), s(2), s(4), s(4), s(4), s(4)])
    }

    @Test func timerEIsT2OnceProvisionalReceived() {
        var tx = ClientNonInviteTransaction(request: options, reliable: false)
        _ = tx.start()
        let trying = SIPTestKit.response(100, to: options)
        #expect(tx.receivedResponse(trying) == [.passToTU(.response(trying))])
        #expect(tx.state == .proceeding)
        #expect(tx.timerFired(.e).startedTimers == [.e: s(4)])
    }

    @Test func timerFTimesOutInTryingAndProceeding() {
        var a = ClientNonInviteTransaction(request: options, reliable: false)
        _ = a.start()
        #expect(a.timerFired(.f) == [.cancelTimer(.e), .timeout, .terminated])
        var b = ClientNonInviteTransaction(request: options, reliable: true)
        _ = b.start()
        _ = b.receivedResponse(SIPTestKit.response(100, to: options))
        #expect(b.timerFired(.f) == [.timeout, .terminated])
    }

    @Test func finalGoesToCompletedThenKTerminates() {
        var tx = ClientNonInviteTransaction(request: options, reliable: false)
        _ = tx.start()
        let ok = SIPTestKit.response(200, to: options)
        let actions = tx.receivedResponse(ok)
        #expect(tx.state == .completed)
        #expect(actions.cancelledTimers == [.e, .f])
        #expect(actions.startedTimers == [.k: s(5)])
        #expect(actions.contains(.passToTU(.response(ok))))
        #expect(tx.receivedResponse(ok).isEmpty) // retransmission absorbed
        #expect(tx.timerFired(.e).isEmpty)
        #expect(tx.timerFired(.k) == [.terminated])
    }

    @Test func reliableHasNoETimerAndZeroK() {
        var tx = ClientNonInviteTransaction(request: options, reliable: true)
        #expect(tx.start().startedTimers == [.f: s(32)])
        #expect(tx.timerFired(.e).isEmpty)
        let actions = tx.receivedResponse(SIPTestKit.response(404, to: options))
        #expect(actions.startedTimers.isEmpty && actions.last == .terminated)
    }

    @Test func transportError() {
        var tx = ClientNonInviteTransaction(request: options, reliable: false)
        _ = tx.start()
        #expect(tx.transportFailed() == [.cancelTimer(.e), .cancelTimer(.f), .transportError, .terminated])
    }
}
