import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransaction

@Suite struct LayerClientTests {
    let udp = SIPTestKit.peer(.udp, host: "198.51.100.7")
    let tcp = SIPTestKit.peer(.tcp, host: "198.51.100.7")

    @Test func inviteOverUDPRetransmitsOnTimerAUntilTimerB() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.invite(), to: udp)
        h.clock.advance(by: s(40))
        #expect(h.transport.times(of: .invite) == [ms(0), ms(500), ms(1500), ms(3500), ms(7500), ms(15500), ms(31500)])
        #expect(h.transport.sent.allSatisfy { $0.peer == udp })
        #expect(h.user.events == [.clientFailed(id, .timeout)])
        #expect(TransactionFailure.timeout.equivalentStatusCode == 408)
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
    }

    @Test func inviteOverTCPIsNeverRetransmitted() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.invite(transport: .tcp), to: tcp)
        h.clock.advance(by: s(31))
        #expect(h.transport.sent.count == 1)
        #expect(h.user.events.isEmpty)
        h.clock.advance(by: s(1))
        #expect(h.user.events == [.clientFailed(id, .timeout)])
        #expect(h.transport.sent.count == 1)
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func nonInviteOverUDPCapsTimerEAtT2UntilTimerF() throws {
        let h = Harness()
        let id = try h.layer.sendRequest(SIPTestKit.request(.options), to: udp)
        h.clock.advance(by: s(40))
        #expect(h.transport.times(of: .options) == [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500].map(ms))
        #expect(h.user.events == [.clientFailed(id, .timeout)])
        #expect(h.layer.activeTransactionCount == 0)
    }

    @Test func nonInviteRetransmitsEveryT2AfterProvisional() throws {
        let h = Harness()
        let options = SIPTestKit.request(.options)
        _ = try h.layer.sendRequest(options, to: udp)
        h.clock.advance(by: ms(700))
        h.layer.receive(.response(SIPTestKit.response(100, to: options)), from: udp)
        h.clock.advance(to: s(10))
        // Sent at 0 and 0.5; the Timer E armed at 0.5 (1 s) fires at 1.5, then every T2.
        #expect(h.transport.times(of: .options) == [ms(0), ms(500), ms(1500), ms(5500), ms(9500)])
        #expect(h.user.statusCodes == [100])
    }

    @Test func nonInviteOverTCPHasNoRetransmissionsAndZeroK() throws {
        let h = Harness()
        let bye = SIPTestKit.request(.bye, transport: .tcp, toTag: "callee")
        let id = try h.layer.sendRequest(bye, to: tcp)
        h.clock.advance(by: s(10))
        #expect(h.transport.sent.count == 1)
        let ok = SIPTestKit.response(200, to: bye)
        h.layer.receive(.response(ok), from: tcp)
        #expect(h.user.events == [.response(ok, id)])
        #expect(h.layer.activeTransactionCount == 0) // K = 0 on reliable
    }

    @Test func nonInviteCompletedAbsorbsRetransmittedFinalUntilK() throws {
        let h = Harness()
        let bye = SIPTestKit.request(.bye, toTag: "callee")
        let id = try h.layer.sendRequest(bye, to: udp)
        let ok = SIPTestKit.response(200, to: bye)
        h.layer.receive(.response(ok), from: udp)
        h.layer.receive(.response(ok), from: udp)
        #expect(h.user.events == [.response(ok, id)])
        h.clock.advance(by: ms(4999))
        #expect(h.layer.activeClientTransactionCount == 1)
        h.clock.advance(by: ms(1))
        #expect(h.layer.activeClientTransactionCount == 0)
        #expect(h.transport.sent.count == 1) // no retransmission after the final
    }

    @Test func non2xxIsAckedByTheTransactionAndRetransmissionsAbsorbed() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let id = try h.layer.sendRequest(invite, to: udp)
        let busy = SIPTestKit.response(486, to: invite, toTag: "b")
        h.layer.receive(.response(busy), from: udp)
        #expect(h.transport.requestMethods == [.invite, .ack])
        h.layer.receive(.response(busy), from: udp)
        h.layer.receive(.response(busy), from: udp)
        #expect(h.transport.requestMethods == [.invite, .ack, .ack, .ack])
        #expect(h.user.events == [.response(busy, id)])
        let ack = h.transport.requests[1]
        #expect(ack.vias == [invite.vias[0]] && ack.to.tag == "b" && ack.cSeq.method == .ack)
        h.clock.advance(by: ms(31999))
        #expect(h.layer.activeTransactionCount == 1)
        h.clock.advance(by: ms(1)) // Timer D
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.transport.times(of: .invite) == [.zero]) // no Timer A after the final
    }

    @Test func acceptedPassesRetransmitted2xxToTUUntilTimerM() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let id = try h.layer.sendRequest(invite, to: udp)
        let ringing = SIPTestKit.response(180, to: invite)
        let ok = SIPTestKit.response(200, to: invite)
        h.layer.receive(.response(ringing), from: udp)
        h.layer.receive(.response(ok), from: udp)
        h.clock.advance(by: s(4))
        h.layer.receive(.response(ok), from: udp)
        #expect(h.user.events == [.response(ringing, id), .response(ok, id), .response(ok, id)])
        #expect(h.transport.requestMethods == [.invite]) // the TU ACKs 2xx, not the transaction
        h.clock.advance(to: s(32))
        #expect(h.layer.activeTransactionCount == 0)
        h.layer.receive(.response(ok), from: udp) // after Timer M: stray, dropped
        #expect(h.user.events.count == 3)
    }

    @Test func strayResponsesAreDropped() throws {
        let h = Harness()
        let invite = SIPTestKit.invite()
        _ = try h.layer.sendRequest(invite, to: udp)
        var otherBranch = SIPTestKit.response(200, to: invite)
        otherBranch.vias[0].branch = "z9hG4bK-unknown"
        var otherMethod = SIPTestKit.response(200, to: invite)
        otherMethod.cSeq.method = .bye
        var noVia = SIPTestKit.response(200, to: invite)
        noVia.vias = []
        for response in [otherBranch, otherMethod, noVia] {
            h.layer.receive(.response(response), from: udp)
        }
        #expect(h.user.events.isEmpty)
        #expect(h.transport.sent.count == 1)
        #expect(h.layer.activeClientTransactionCount == 1)
    }

    @Test func sendRequestSetsAnRFC3261BranchWhenMissing() throws {
        let h = Harness()
        var options = SIPTestKit.request(.options)
        options.vias[0].branch = nil
        let id = try h.layer.sendRequest(options, to: udp)
        let sent = try #require(h.transport.requests.first)
        #expect(sent.topVia?.hasRFC3261Branch == true)
        #expect(h.layer.request(of: id)?.topVia?.branch == sent.topVia?.branch)
        // A response carrying that branch matches.
        h.layer.receive(.response(SIPResponse(to: sent, statusCode: 200, toTag: "x")), from: udp)
        #expect(h.user.statusCodes == [200])
    }

    @Test func misuseIsRefused() throws {
        let h = Harness()
        var noVia = SIPTestKit.request(.options)
        noVia.vias = []
        #expect(throws: TransactionLayerError.missingVia) { try h.layer.sendRequest(noVia, to: udp) }
        #expect(throws: TransactionLayerError.ackHasNoTransaction) { try h.layer.sendRequest(SIPTestKit.request(.ack), to: udp) }
        _ = try h.layer.sendRequest(SIPTestKit.request(.options), to: udp)
        #expect(throws: TransactionLayerError.duplicateBranch("z9hG4bK-test-1")) {
            try h.layer.sendRequest(SIPTestKit.request(.options), to: udp)
        }
        #expect(throws: TransactionLayerError.unknownTransaction) {
            try h.layer.cancel(clientTransaction: ClientTransactionID(rawValue: 999))
        }
    }

    @Test func transportErrorIsReportedAndTerminates() throws {
        let h = Harness()
        h.transport.failing = true
        let id = try h.layer.sendRequest(SIPTestKit.invite(), to: udp)
        #expect(h.user.events == [.clientFailed(id, .transportError)])
        #expect(h.layer.activeTransactionCount == 0)
        #expect(h.clock.pendingTimerCount == 0)
        #expect(TransactionFailure.transportError.equivalentStatusCode == 503)
    }

    @Test func ackFor2xxIsSentWithoutTransaction() {
        let h = Harness()
        let invite = SIPTestKit.invite()
        let ack = SIPTestKit.ackFor2xx(for: invite, response: SIPTestKit.response(200, to: invite))
        h.layer.sendAck(ack, to: udp)
        #expect(h.transport.requests == [ack])
        #expect(h.layer.activeTransactionCount == 0)
    }
}
