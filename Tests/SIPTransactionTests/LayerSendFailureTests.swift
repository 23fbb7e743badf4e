import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

/// `transportFailed(sending:to:)`: the transport reports, after `send` returned, that a request
/// never left (a TCP connect failed). The transaction fails at once (RFC 3261 §17.1.4), as a
/// 503 to the TU (§8.1.3.1), instead of at Timer B/F.
@Suite struct LayerSendFailureTests {
    let tcp = SIPTestKit.peer(.tcp, host: "198.51.100.7")

    @Test func failedConnectEndsTheInviteTransactionAtOnce() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.invite(transport: .tcp), to: tcp)
        let sent = try #require(h.transport.sent.first?.message)
        h.layer.transportFailed(sending: sent, to: tcp)
        #expect(h.user.events == [.clientFailed(id, .transportError)])
        #expect(TransactionFailure.transportError.equivalentStatusCode == 503)
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
        h.clock.advance(by: s(40))
        #expect(h.user.events.count == 1)
    }

    @Test func failedConnectEndsANonInviteTransaction() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.request(.options, transport: .tcp), to: tcp)
        h.layer.transportFailed(sending: try #require(h.transport.sent.first?.message), to: tcp)
        #expect(h.user.events == [.clientFailed(id, .transportError)])
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func reportsThatMatchNoLiveTransactionAreIgnored() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.invite(transport: .tcp), to: tcp)
        let sent = try #require(h.transport.sent.first?.message)
        // Another peer, or after a provisional response (the request evidently arrived).
        h.layer.transportFailed(sending: sent, to: SIPTestKit.peer(.tcp, host: "198.51.100.8"))
        #expect(h.user.events.isEmpty)
        let trying = SIPResponse(to: try #require(sent.request), statusCode: 100)
        h.layer.receive(.response(trying), from: tcp)
        h.layer.transportFailed(sending: sent, to: tcp)
        #expect(h.user.events.filter { if case .clientFailed = $0 { return true } else { return false } }.isEmpty)
        #expect(h.layer.activeTransactionCount == 1)
        _ = id
    }
}
