import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

/// RFC 3261 §17.2.3 backward compatibility: RFC 2543 transactions (no `z9hG4bK` branch) are
/// found through `LegacyServerKey`, among many others alive at once, and leave no trace.
@Suite struct LayerLegacyIndexTests {
    let udp = SIPPeer(transport: .udp, host: "192.0.2.10", port: 5060)

    /// Legacy INVITEs that differ only by Call-ID (RFC 2543 peers often reuse the branch).
    func legacyInvite(_ n: Int) -> SIPRequest {
        SIPTestKit.invite(branch: "legacy", callID: "legacy-\(n)@192.0.2.10")
    }

    @Test func retransmissionAckAndCancelMatchAmongManyLegacyTransactions() throws {
        // No automatic 100 Trying: the 2,000 INVITEs would each send one when the clock moves.
        let h = Harness(configuration: .init(sendsTryingAutomatically: false))
        let count = 2_000
        for n in 0..<count { h.layer.receive(.request(legacyInvite(n)), from: udp) }
        #expect(h.user.requests.count == count)
        #expect(h.layer.legacyIndex.count == count)

        // A retransmission of one of them is absorbed by its own transaction.
        let target = legacyInvite(1_234)
        let id = try #require(h.user.requests.first { $0.0.callID == target.callID }?.1)
        let busy = SIPTestKit.response(486, to: target, toTag: "uas-1234")
        try h.layer.respond(busy, on: id)
        h.layer.receive(.request(target), from: udp)
        #expect(h.user.requests.count == count)
        #expect(h.transport.statusCodes == [486, 486])

        // The ACK for the non-2xx (RFC 2543: To tag of our response) is absorbed, Timer G stops.
        let eventsBefore = h.user.events.count
        h.layer.receive(.request(SIPTestKit.ack(for: target, response: busy)), from: udp)
        #expect(h.user.events.count == eventsBefore)
        h.clock.advance(by: .seconds(2))
        #expect(h.transport.statusCodes == [486, 486])

        // A CANCEL for another one reaches its INVITE (200 to the CANCEL, the TU told).
        let other = legacyInvite(77)
        let otherID = try #require(h.user.requests.first { $0.0.callID == other.callID }?.1)
        h.layer.receive(.request(SIPTestKit.cancel(for: other)), from: udp)
        #expect(h.transport.statusCodes == [486, 486, 200])
        #expect(h.user.events.last == .cancel(SIPTestKit.cancel(for: other), otherID))
        // Its retransmission is answered from the CANCEL's own transaction, not passed up again.
        h.layer.receive(.request(SIPTestKit.cancel(for: other)), from: udp)
        #expect(h.transport.statusCodes == [486, 486, 200, 200])
        #expect(h.user.events.count == eventsBefore + 1)

        // A CANCEL for an INVITE we never saw gets 481.
        h.layer.receive(.request(SIPTestKit.cancel(for: legacyInvite(count + 1))), from: udp)
        #expect(h.transport.statusCodes.last == 481)
    }

    @Test func terminatedLegacyTransactionsLeaveTheIndex() throws {
        let h = Harness()
        for n in 0..<50 {
            let invite = legacyInvite(n)
            h.layer.receive(.request(invite), from: udp)
            let id = try #require(h.user.requests.last?.1)
            try h.layer.respond(SIPTestKit.response(404, to: invite, toTag: "t\(n)"), on: id)
        }
        #expect(h.layer.legacyIndex.count == 50)
        h.clock.runUntilIdle()
        #expect(h.layer.activeServerTransactionCount == 0)
        #expect(h.layer.legacyIndex.isEmpty)
    }

    @Test func strayResponsesAreCountedAndMakeNoState() {
        let h = Harness()
        let response = SIPTestKit.response(200, to: SIPTestKit.invite(branch: "z9hG4bK-nobody"))
        h.layer.receive(.response(response), from: udp)
        h.layer.receive(.response(response), from: udp)
        #expect(h.layer.strayResponses == 2)
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.user.events.isEmpty)
    }
}
