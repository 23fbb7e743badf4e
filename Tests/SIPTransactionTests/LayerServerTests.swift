import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct LayerServerTests {
    let udp = SIPTestKit.peer(.udp)
    let tcp = SIPTestKit.peer(.tcp, port: 40000)

    @Test func inviteRetransmissionIsAnsweredFromTheTransactionAndPassedUpOnce() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.layer.receive(.request(invite), from: udp)
        h.layer.receive(.request(invite), from: udp)
        #expect(h.user.requests.count == 1)
        #expect(h.transport.sent.isEmpty) // nothing to resend yet
        let id = try #require(h.user.requests.first?.1)
        let ringing = SIPTestKit.response(180, to: invite)
        try h.layer.respond(ringing, on: id)
        h.layer.receive(.request(invite), from: udp)
        #expect(h.transport.responses == [ringing, ringing])
        #expect(h.user.requests.count == 1)
    }

    @Test func automatic100TryingAfter200ms() {
        let h = Harness()
        h.layer.receive(.request(SIPTestKit.invite()), from: udp)
        h.clock.advance(by: ms(199))
        #expect(h.transport.sent.isEmpty)
        h.clock.advance(by: ms(1))
        #expect(h.transport.statusCodes == [100])
        #expect(h.transport.times(ofStatus: 100) == [ms(200)])
        // and it is what an INVITE retransmission gets
        h.layer.receive(.request(SIPTestKit.invite()), from: udp)
        #expect(h.transport.statusCodes == [100, 100])
    }

    @Test func tuCanSendTryingAtOnceAndThenNoAutomatic100() throws {
        let h = Harness()
        h.user.onRequest = { _, id in try? h.layer.sendTrying(on: id) }
        h.layer.receive(.request(SIPTestKit.invite()), from: udp)
        #expect(h.transport.times(ofStatus: 100) == [.zero])
        h.clock.advance(by: s(1))
        #expect(h.transport.statusCodes == [100])
    }

    @Test func automatic100CanBeTurnedOff() {
        let h = Harness(configuration: .init(sendsTryingAutomatically: false))
        h.layer.receive(.request(SIPTestKit.invite()), from: udp)
        h.clock.advance(by: s(1))
        #expect(h.transport.sent.isEmpty)
    }

    @Test func non2xxIsRetransmittedOnTimerGCappedAtT2UntilTimerH() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.user.onRequest = { request, id in try? h.layer.respond(SIPTestKit.response(486, to: request), on: id) }
        h.layer.receive(.request(invite), from: udp)
        let id = try #require(h.user.requests.first?.1)
        h.clock.advance(by: s(40))
        #expect(h.transport.times(ofStatus: 486) == [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500].map(ms))
        #expect(h.transport.sent.allSatisfy { $0.peer == udp })
        #expect(h.user.events.last == .serverFailed(id, .timeout))
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
    }

    @Test func ackToNon2xxIsAbsorbedAndTimerITerminates() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.user.onRequest = { request, id in try? h.layer.respond(SIPTestKit.response(486, to: request), on: id) }
        h.layer.receive(.request(invite), from: udp)
        h.clock.advance(by: ms(600)) // one Timer G retransmission
        let ack = SIPTestKit.ack(for: invite, response: h.transport.responses[0])
        h.layer.receive(.request(ack), from: udp)
        h.layer.receive(.request(ack), from: udp)
        #expect(h.user.events.count == 1) // only the INVITE
        h.clock.advance(by: ms(4999))
        #expect(h.transport.statusCodes == [486, 486]) // Timer G stopped by the ACK
        #expect(h.layer.activeServerTransactionCount == 1)
        h.clock.advance(by: ms(1)) // Timer I = T4 after the ACK
        #expect(h.layer.activeServerTransactionCount == 0)
    }

    @Test func overTCPNoRetransmissionsAndAckTerminatesAtOnce() throws {
        let h = Harness()
        let invite = SIPTestKit.invite(transport: .tcp)
        h.user.onRequest = { request, id in try? h.layer.respond(SIPTestKit.response(603, to: request), on: id) }
        h.layer.receive(.request(invite), from: tcp)
        h.clock.advance(by: s(10))
        #expect(h.transport.statusCodes == [603])
        #expect(h.transport.sent.first?.peer == tcp) // back over the same connection
        h.layer.receive(.request(SIPTestKit.ack(for: invite, response: h.transport.responses[0])), from: tcp)
        #expect(h.layer.activeTransactionCount == 0) // Timer I = 0
    }

    @Test func acceptedAbsorbsInviteRetransmissionsAndPassesAcksToTU() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        h.layer.receive(.request(invite), from: udp)
        let id = try #require(h.user.requests.first?.1)
        let ok = SIPTestKit.response(200, to: invite)
        try h.layer.respond(ok, on: id)
        h.layer.receive(.request(invite), from: udp)
        #expect(h.transport.statusCodes == [200])
        #expect(h.user.requests.count == 1)
        // The TU retransmits its 2xx through the transaction (§13.3.1.4, RFC 6026).
        h.clock.advance(by: ms(500))
        try h.layer.respond(ok, on: id)
        #expect(h.transport.statusCodes == [200, 200])
        // ACK for the 2xx: its own branch → no transaction, to the TU.
        let ack = SIPTestKit.ackFor2xx(for: invite, response: ok)
        h.layer.receive(.request(ack), from: udp)
        #expect(h.user.events.last == .ackFor2xx(ack, from: udp, nil))
        // An ACK reusing the INVITE's branch matches the Accepted transaction: still to the TU.
        let sameBranch = SIPTestKit.ack(for: invite, response: ok)
        h.layer.receive(.request(sameBranch), from: udp)
        #expect(h.user.events.last == .ackFor2xx(sameBranch, from: udp, id))
        #expect(throws: TransactionLayerError.responseNotAllowed(statusCode: 486)) {
            try h.layer.respond(SIPTestKit.response(486, to: invite), on: id)
        }
        h.clock.advance(to: s(32)) // Timer L from the first 2xx
        #expect(h.layer.activeTransactionCount == 0)
        #expect(throws: TransactionLayerError.unknownTransaction) { try h.layer.respond(ok, on: id) }
    }

    @Test func nonInviteCompletedResendsFinalUntilTimerJ() throws {
        let h = Harness()
        let bye = SIPTestKit.request(.bye, toTag: "uas")
        h.layer.receive(.request(bye), from: udp)
        h.layer.receive(.request(bye), from: udp) // Trying: absorbed
        #expect(h.transport.sent.isEmpty && h.user.requests.count == 1)
        let id = try #require(h.user.requests.first?.1)
        try h.layer.respond(SIPTestKit.response(200, to: bye), on: id)
        h.layer.receive(.request(bye), from: udp)
        #expect(h.transport.statusCodes == [200, 200])
        #expect(h.user.requests.count == 1)
        h.clock.advance(by: ms(31999))
        #expect(h.layer.activeServerTransactionCount == 1)
        h.clock.advance(by: ms(1))
        #expect(h.layer.activeServerTransactionCount == 0)
        #expect(h.transport.statusCodes == [200, 200]) // no timer-driven retransmission
    }

    @Test func nonInviteProceedingResendsProvisional() throws {
        let h = Harness()
        let register = SIPTestKit.request(.register)
        h.user.onRequest = { r, id in try? h.layer.respond(SIPTestKit.response(100, to: r), on: id) }
        h.layer.receive(.request(register), from: udp)
        h.layer.receive(.request(register), from: udp)
        #expect(h.transport.statusCodes == [100, 100])
    }

    @Test func nonInviteOverTCPTerminatesOnFinal() throws {
        let h = Harness()
        h.user.onRequest = { r, id in try? h.layer.respond(SIPTestKit.response(200, to: r), on: id) }
        h.layer.receive(.request(SIPTestKit.request(.options, transport: .tcp)), from: tcp)
        #expect(h.transport.statusCodes == [200])
        #expect(h.layer.activeTransactionCount == 0) // Timer J = 0
    }

    @Test func ackFor2xxWithoutTransactionGoesToTU() {
        let h = Harness()
        let invite = SIPTestKit.invite(toTag: "dialog")
        let ack = SIPTestKit.ackFor2xx(for: invite, response: SIPTestKit.response(200, to: invite))
        h.layer.receive(.request(ack), from: udp)
        #expect(h.user.events == [.ackFor2xx(ack, from: udp, nil)])
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func mergedRequestGets482() throws {
        let h = Harness()
        let first = SIPTestKit.invite(branch: "z9hG4bK-path-1")
        let second = SIPTestKit.invite(branch: "z9hG4bK-path-2") // same From tag, Call-ID, CSeq; no To tag
        h.layer.receive(.request(first), from: udp)
        h.layer.receive(.request(second), from: udp)
        #expect(h.user.requests.count == 1)
        #expect(h.transport.statusCodes == [482])
        #expect(h.transport.responses.first?.vias[0].branch == "z9hG4bK-path-2")
        // A retransmission of the merged request is answered from its own transaction.
        h.layer.receive(.request(second), from: udp)
        #expect(h.transport.statusCodes == [482, 482])
        #expect(h.user.requests.count == 1)
        // With a To tag (in-dialog) there is no merge check.
        h.layer.receive(.request(SIPTestKit.request(.info, branch: "z9hG4bK-x", toTag: "t")), from: udp)
        #expect(h.user.requests.count == 2)
    }

    @Test func rfc2543RequestsMatchWithoutMagicCookie() throws {
        let h = Harness()
        let invite = SIPTestKit.invite(branch: "legacy-1")
        h.layer.receive(.request(invite), from: udp)
        h.layer.receive(.request(invite), from: udp)
        #expect(h.user.requests.count == 1)
        let id = try #require(h.user.requests.first?.1)
        let busy = SIPTestKit.response(486, to: invite, toTag: "uas-tag")
        try h.layer.respond(busy, on: id)
        h.layer.receive(.request(invite), from: udp)
        #expect(h.transport.statusCodes == [486, 486])

        // ACK with a wrong To tag does not match: it goes up as a 2xx ACK.
        var wrongTag = SIPTestKit.ack(for: invite, response: busy)
        wrongTag.to.tag = "other"
        h.layer.receive(.request(wrongTag), from: udp)
        #expect(h.user.events.last == .ackFor2xx(wrongTag, from: udp, nil))
        // The right ACK (RFC 2543: To tag of our response) is absorbed.
        let eventsBefore = h.user.events.count
        h.layer.receive(.request(SIPTestKit.ack(for: invite, response: busy)), from: udp)
        #expect(h.user.events.count == eventsBefore)
        h.clock.advance(by: s(1))
        #expect(h.transport.statusCodes == [486, 486]) // Confirmed: Timer G stopped

        // A different CSeq is a new transaction.
        let options = SIPTestKit.request(.options, branch: "legacy-1", cSeq: 2)
        h.layer.receive(.request(options), from: udp)
        #expect(h.user.requests.count == 2)
        #expect(h.layer.activeServerTransactionCount == 2)
        // A server transaction waits for its TU as long as it takes (no timer in Trying).
        h.clock.runUntilIdle()
        #expect(h.layer.activeServerTransactionCount == 1)
        try h.layer.respond(SIPTestKit.response(200, to: options), on: h.user.requests[1].1)
        h.clock.runUntilIdle()
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func rfc2543CancelMatchesTheInvite() throws {
        let h = Harness()
        let invite = SIPTestKit.invite(branch: "legacy-7")
        h.layer.receive(.request(invite), from: udp)
        h.layer.receive(.request(SIPTestKit.cancel(for: invite)), from: udp)
        #expect(h.transport.statusCodes == [200])
        #expect(h.user.events.count == 2)
    }

    @Test func sameBranchFromAnotherSentByIsAnotherTransaction() {
        let h = Harness()
        h.layer.receive(.request(SIPTestKit.request(.options, viaHost: "192.0.2.10")), from: udp)
        h.layer.receive(.request(SIPTestKit.request(.options, viaHost: "192.0.2.11", fromTag: "f2")), from: udp)
        #expect(h.user.requests.count == 2)
    }

    @Test func responsesGoToReceivedAddressAndSentByPortOrRport() {
        let request = SIPTestKit.request(.options, viaHost: "10.0.0.5", viaPort: 5080)
        let src = SIPPeer(transport: .udp, host: "203.0.113.9", port: 61000)
        #expect(TransactionLayer.responseDestination(for: request, receivedFrom: src)
                == SIPPeer(transport: .udp, host: "203.0.113.9", port: 5080))
        let withRport = SIPTestKit.request(.options, viaHost: "10.0.0.5", viaPort: 5080, rport: true)
        #expect(TransactionLayer.responseDestination(for: withRport, receivedFrom: src) == src)
        let tcpSrc = SIPPeer(transport: .tcp, host: "203.0.113.9", port: 61000)
        #expect(TransactionLayer.responseDestination(for: request, receivedFrom: tcpSrc) == tcpSrc)
    }

    @Test func transportErrorOnResponseInformsTU() throws {
        let h = Harness()
        h.layer.receive(.request(SIPTestKit.request(.options)), from: udp)
        let id = try #require(h.user.requests.first?.1)
        h.transport.failing = true
        try h.layer.respond(SIPTestKit.response(200, to: SIPTestKit.request(.options)), on: id)
        #expect(h.user.events.last == .serverFailed(id, .transportError))
        #expect(h.layer.activeTransactionCount == 0)
    }
}
