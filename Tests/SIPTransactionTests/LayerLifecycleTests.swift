import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct LayerLifecycleTests {
    /// Many transactions of every kind in flight; when every timer has run, none is left.
    @Test func transactionCountReturnsToZeroAfterAllTimers() throws {
        let h = Harness()
        let udp = SIPTestKit.peer(.udp)
        h.user.onRequest = { request, id in
            let code = request.method == .invite ? (request.cSeq.sequence % 2 == 0 ? 200 : 486) : 200
            try? h.layer.respond(SIPResponse(to: request, statusCode: code, toTag: "uas"), on: id)
        }
        for n in 1...10 {
            h.layer.receive(.request(SIPTestKit.invite(branch: "z9hG4bK-in-\(n)", callID: "in-\(n)", cSeq: UInt32(n))), from: udp)
            h.layer.receive(.request(SIPTestKit.request(.options, branch: "z9hG4bK-opt-\(n)", callID: "opt-\(n)")), from: udp)
            let invite = SIPTestKit.invite(branch: "z9hG4bK-out-\(n)", callID: "out-\(n)")
            _ = try h.layer.sendRequest(invite, to: udp)
            if n % 3 == 0 { h.layer.receive(.response(SIPTestKit.response(200, to: invite)), from: udp) }
            if n % 3 == 1 { h.layer.receive(.response(SIPTestKit.response(404, to: invite)), from: udp) }
        }
        #expect(h.layer.activeServerTransactionCount == 20)
        #expect(h.layer.activeClientTransactionCount == 10)
        let fired = h.clock.runUntilIdle()
        #expect(fired > 0)
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
        #expect(h.clock.now <= s(40))
    }
}

@Suite struct FakeClockTests {
    @Test func firesInDeadlineThenSchedulingOrderAndSkipsCancelled() {
        let clock = FakeClock()
        var log: [String] = []
        _ = clock.schedule(after: s(2)) { log.append("b@\(clock.now)") }
        _ = clock.schedule(after: s(1)) { log.append("a1") }
        _ = clock.schedule(after: s(1)) {
            log.append("a2")
            _ = clock.schedule(after: ms(500)) { log.append("nested@\(clock.now)") }
        }
        let cancelled = clock.schedule(after: ms(1500)) { log.append("cancelled") }
        cancelled.cancel()
        clock.advance(by: ms(999))
        #expect(log.isEmpty)
        clock.advance(by: s(2))
        #expect(log == ["a1", "a2", "nested@1.5 seconds", "b@2.0 seconds"])
        #expect(clock.now == ms(2999))
        #expect(clock.pendingTimerCount == 0)
    }
}

@Suite struct LayerTransportFailureTests {
    @Test func lostConnectionFailsTheTransactionsBoundToIt() throws {
        let h = Harness()
        let tcp = SIPTestKit.peer(.tcp, host: "198.51.100.7", port: 5060)
        let other = SIPTestKit.peer(.tcp, host: "198.51.100.8", port: 5060)
        let invite = SIPTestKit.invite(transport: .tcp)
        let a = try h.layer.sendRequest(invite, to: tcp)
        let b = try h.layer.sendRequest(SIPTestKit.invite(branch: "z9hG4bK-b", transport: .tcp), to: other)
        h.layer.receive(.request(SIPTestKit.request(.options, branch: "z9hG4bK-in", transport: .tcp)), from: tcp)
        let server = try #require(h.user.requests.first?.1)
        h.layer.transportFailed(to: tcp)
        #expect(h.user.events.suffix(2) == [.clientFailed(a, .transportError), .serverFailed(server, .transportError)])
        #expect(h.layer.activeTransactionCount == 1)
        #expect(h.layer.request(of: b) != nil)
        // A Proceeding client INVITE is not affected (§17.1.1.2 only fails Calling/Completed).
        h.layer.receive(.response(SIPTestKit.response(180, to: h.layer.request(of: b)!)), from: other)
        h.layer.transportFailed(to: other)
        #expect(h.layer.activeClientTransactionCount == 1)
    }
}
