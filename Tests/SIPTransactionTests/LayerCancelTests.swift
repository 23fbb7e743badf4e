import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct LayerClientCancelTests {
    let udp = SIPTestKit.peer(.udp, host: "198.51.100.7")
    let reason = #"SIP;cause=200;text="Call completed elsewhere""#

    @Test func cancelWaitsForProvisionalThenFollowsSection9_1() throws {
        let h = Harness()
        let route = NameAddress(uri: SIPTestKit.sipURI("sip:edge.example;lr"))
        let invite = SIPTestKit.invite(cSeq: 7, routes: [route])
        let inviteID = try h.layer.sendRequest(invite, to: udp)
        let cancelID = try #require(try h.layer.cancel(clientTransaction: inviteID, reason: reason))
        #expect(h.transport.requestMethods == [.invite]) // no provisional yet: wait
        #expect(try h.layer.cancel(clientTransaction: inviteID) == cancelID) // idempotent
        h.clock.advance(by: ms(600))
        let ringing = SIPTestKit.response(180, to: invite, toTag: "r")
        h.layer.receive(.response(ringing), from: udp)
        #expect(h.transport.requestMethods == [.invite, .invite, .cancel])
        let cancel = h.transport.requests[2]
        #expect(cancel.uri == invite.uri)
        #expect(cancel.callID == invite.callID)
        #expect(cancel.from == invite.from)
        #expect(cancel.to == invite.to) // the INVITE's To, without the response's tag
        #expect(cancel.cSeq == CSeq(sequence: 7, method: .cancel))
        #expect(cancel.vias == [invite.vias[0]])
        #expect(cancel.routes == [route])
        #expect(cancel.headers["Reason"] == reason)
        #expect(h.transport.sent[2].peer == udp)

        // The CANCEL's 200 and the INVITE's 487 reach the TU under their own ids.
        let cancelOK = SIPResponse(to: cancel, statusCode: 200, toTag: "r")
        h.layer.receive(.response(cancelOK), from: udp)
        let terminated = SIPTestKit.response(487, to: invite, toTag: "r")
        h.layer.receive(.response(terminated), from: udp)
        #expect(h.user.events == [.response(ringing, inviteID), .response(cancelOK, cancelID), .response(terminated, inviteID)])
        #expect(h.transport.requestMethods.last == .ack)
        h.clock.runUntilIdle()
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func cancelInProceedingIsSentAtOnceOverUDPWithItsOwnRetransmissions() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let inviteID = try h.layer.sendRequest(invite, to: udp)
        h.layer.receive(.response(SIPTestKit.response(180, to: invite)), from: udp)
        _ = try h.layer.cancel(clientTransaction: inviteID)
        h.clock.advance(by: ms(1600))
        #expect(h.transport.times(of: .cancel) == [ms(0), ms(500), ms(1500)]) // Timer E
        #expect(h.transport.times(of: .invite) == [ms(0)]) // Proceeding: no Timer A
    }

    @Test func cancelAfterFinalIsNotSent() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let inviteID = try h.layer.sendRequest(invite, to: udp)
        h.layer.receive(.response(SIPTestKit.response(200, to: invite)), from: udp)
        #expect(try h.layer.cancel(clientTransaction: inviteID) == nil)
        #expect(!h.transport.requestMethods.contains(.cancel))
    }

    @Test func pendingCancelIsDroppedWhenFinalArrivesFirst() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let inviteID = try h.layer.sendRequest(invite, to: udp)
        _ = try h.layer.cancel(clientTransaction: inviteID)
        h.layer.receive(.response(SIPTestKit.response(486, to: invite)), from: udp)
        h.clock.runUntilIdle()
        #expect(h.transport.requestMethods == [.invite, .ack])
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func cancelOfNonInviteIsRefused() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.request(.options), to: udp)
        #expect(throws: TransactionLayerError.notAnInvite) { try h.layer.cancel(clientTransaction: id) }
    }
}

@Suite struct LayerServerCancelTests {
    let udp = SIPTestKit.peer(.udp)

    @Test func cancelMatchingAnInviteGets200AndTheTUIsTold() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.user.onRequest = { request, id in
            try? h.layer.respond(SIPTestKit.response(180, to: request, toTag: "uas"), on: id)
        }
        h.user.onCancel = { _, id in
            try? h.layer.respond(SIPTestKit.response(487, to: invite, toTag: "uas"), on: id)
        }
        h.layer.receive(.request(invite), from: udp)
        let inviteID = try #require(h.user.requests.first?.1)
        let cancel = SIPTestKit.cancel(for: invite)
        h.layer.receive(.request(cancel), from: udp)
        #expect(h.transport.statusCodes == [180, 200, 487])
        let cancelOK = h.transport.responses[1]
        #expect(cancelOK.cSeq.method == .cancel)
        #expect(cancelOK.to.tag == "uas") // §9.2: same To tag as the INVITE's responses
        #expect(h.user.events.count == 2)
        #expect(h.user.events.last == .cancel(cancel, inviteID))

        // A retransmitted CANCEL is answered from its transaction; the TU is not told again.
        h.layer.receive(.request(cancel), from: udp)
        #expect(h.transport.statusCodes == [180, 200, 487, 200])
        #expect(h.user.events.count == 2)

        // The ACK for the 487 is absorbed by the INVITE transaction.
        h.layer.receive(.request(SIPTestKit.ack(for: invite, response: h.transport.responses[2])), from: udp)
        #expect(h.user.events.count == 2)
        h.clock.runUntilIdle()
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func cancelMatchingNothingGets481() {
        let h = Harness()
        let cancel = SIPTestKit.cancel(for: SIPTestKit.invite())
        h.layer.receive(.request(cancel), from: udp)
        #expect(h.transport.statusCodes == [481])
        #expect(h.transport.responses.first?.to.tag != nil)
        #expect(h.user.events.isEmpty)
    }

    @Test func cancelWithDifferentCallIDOrSentByGets481() {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.layer.receive(.request(invite), from: udp)
        var otherCall = SIPTestKit.cancel(for: invite)
        otherCall.callID = "other"
        var otherSentBy = SIPTestKit.cancel(for: invite)
        otherSentBy.vias[0].port = 5070
        h.layer.receive(.request(otherCall), from: udp)
        h.layer.receive(.request(otherSentBy), from: udp)
        #expect(h.transport.statusCodes.filter { $0 != 100 } == [481, 481])
        #expect(h.user.events.count == 1) // only the INVITE
    }

    @Test func cancelAfterFinalResponseGets200ButNoTUNotification() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.user.onRequest = { request, id in try? h.layer.respond(SIPTestKit.response(486, to: request), on: id) }
        h.layer.receive(.request(invite), from: udp)
        h.layer.receive(.request(SIPTestKit.cancel(for: invite)), from: udp)
        #expect(h.transport.statusCodes == [486, 200])
        #expect(h.user.events.count == 1)
    }
}
