import Foundation
import SIPMessage
import SIPTestKit
import SIPTransaction
import Testing
@testable import CallEngine

/// RFC 3261 dialogs toward carriers and callees (issue 12, item 3), through the real parser,
/// transaction layer and engine on a fake clock.
@Suite struct DialogRuleTests {
    // MARK: §8.2.6.2 responses copy the request's header text

    @Test func responsesToTheCallerCopyViaFromToCallIDAndCSeqAsReceived() throws {
        let h = try DialogHarness()
        try h.answeredCall(ackFromCaller: false)
        let trying = try #require(h.responses(100, to: h.carrier).first)
        let ringing = try #require(h.responses(180, to: h.carrier).first)
        let ok = try #require(h.responses(200, method: .invite, to: h.carrier).first)
        for response in [trying, ringing, ok] {
            let message = SIPMessage.response(response)
            #expect(DialogHarness.wireValues("Via", in: message) == [
                // Only `rport` gets its value and `received` is added (RFC 3581 §4).
                "SIP/2.0/UDP 127.0.0.1:5070 ;branch=z9hG4bK-carrier-1;rport=5070; X-Hop=Edge;received=127.0.0.1",
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-up-1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-up-2",
            ])
            #expect(DialogHarness.wireValues("From", in: message) == ["A <sip:+14155550123@carrier.example>;tag=abc;foo=Bar"])
            #expect(DialogHarness.wireValues("Call-ID", in: message) == ["call-1@carrier.example"])
            #expect(DialogHarness.wireValues("CSeq", in: message) == ["7   INVITE"])
        }
        #expect(DialogHarness.wireValues("To", in: .response(trying)) == ["<sip:+13125550100@127.0.0.1>"])
        let tag = try #require(ok.to.tag)
        #expect(DialogHarness.wireValues("To", in: .response(ringing)) == ["<sip:+13125550100@127.0.0.1>;tag=\(tag)"])
        #expect(DialogHarness.wireValues("To", in: .response(ok)) == ["<sip:+13125550100@127.0.0.1>;tag=\(tag)"])
    }

    // MARK: §12.1.1 Record-Route, §12.2.1.1 route set

    @Test func dialogCreatingResponsesToTheCallerCopyTheRecordRoute() throws {
        let h = try DialogHarness()
        try h.answeredCall()
        let expected = ["<sip:127.0.0.1:5071;lr;ftag=abc>", "<sip:10.9.9.9;lr>"]
        for status in [180, 200] {
            let response = try #require(h.responses(status, method: .invite, to: h.carrier).first)
            #expect(DialogHarness.wireValues("Record-Route", in: .response(response)) == expected, "\(status)")
        }
    }

    @Test func ourByeToTheCallerFollowsItsRouteSetNotTheContact() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        try h.calleeRequest("BYE", cseq: 1, branch: "z9hG4bK-callee-bye", invite: invite)
        let bye = try #require(h.sends(.bye).first { $0.peer != DialogHarness.callee })
        // Loose routing: the first Route (the carrier's proxy) is the next hop, the Contact
        // stays the Request-URI, the whole route set goes in Route, in order.
        #expect(bye.peer == SIPPeer(transport: .udp, host: "127.0.0.1", port: 5071))
        guard case .request(let request) = bye.message else { return }
        #expect(request.uri.description == "sip:+14155550123@127.0.0.1:5070")
        #expect(request.routes.map(\.description) == ["<sip:127.0.0.1:5071;lr;ftag=abc>", "<sip:10.9.9.9;lr>"])
        #expect(request.callID == "call-1@carrier.example")
        #expect(request.to.tag == "abc")
    }

    @Test func towardTheCalleeTheRouteSetIsThe2xxRecordRouteReversed() throws {
        let h = try DialogHarness()
        try h.answeredCall(answerExtra: [("Record-Route", "<sip:127.0.0.1:5092;lr>, <sip:127.0.0.1:5091;lr>")])
        let proxy = SIPPeer(transport: .udp, host: "127.0.0.1", port: 5091)
        // The ACK for the 2xx already takes the route set (RFC 3261 §13.2.2.4).
        let ack = try #require(h.sends(.ack).first)
        #expect(ack.peer == proxy)
        try h.callerRequest("BYE", cseq: 8, branch: "z9hG4bK-caller-bye")
        let bye = try #require(h.sends(.bye).first)
        #expect(bye.peer == proxy)
        guard case .request(let request) = bye.message else { return }
        #expect(request.routes.map(\.description) == ["<sip:127.0.0.1:5091;lr>", "<sip:127.0.0.1:5092;lr>"])
        #expect(request.uri.description == "sip:desk@127.0.0.1:5090")
    }

    // MARK: §8.1.1.7 / §13.2.2.4 ACK branches

    @Test func everyAckForA2xxHasABranchOfItsOwn() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        // A callee re-INVITE, answered by the caller: we ACK the caller's 2xx ourselves.
        try h.calleeRequest("INVITE", cseq: 2, branch: "z9hG4bK-callee-reinvite", invite: invite, body: "v=0\r\n")
        let relayed = try #require(h.requests(.invite).first { $0.callID == "call-1@carrier.example" })
        try h.receive(.response(SIPTestKit.response(200, to: relayed, toTag: relayed.to.tag)), from: h.carrier)
        let acks = h.requests(.ack)
        #expect(acks.count == 2)
        var branches: Set<String> = [invite.topVia?.branch ?? "", relayed.topVia?.branch ?? ""]
        for ack in acks {
            let branch = try #require(ack.topVia?.branch)
            #expect(branch.hasPrefix("z9hG4bK"))
            #expect(!branches.contains(branch), "ACK reused a branch: \(branch)")
            branches.insert(branch)
        }
    }

    // MARK: §13.3.1.4 2xx retransmission

    @Test(arguments: [SIPTransportProtocol.udp, .tcp])
    func our2xxToTheCallerIsRetransmittedUntilItsAck(transport: SIPTransportProtocol) throws {
        let h = try DialogHarness(carrierTransport: transport)
        try h.answeredCall(carrierTransport: transport, ackFromCaller: false)
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 1)
        h.clock.advance(by: .milliseconds(500))   // T1
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 2)
        h.clock.advance(by: .milliseconds(1000))  // 2·T1
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 3)
        h.clock.advance(by: .milliseconds(2000))  // 4·T1
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 4)
        try h.callerAck()
        h.clock.advance(by: .seconds(30))
        #expect(h.responses(200, method: .invite, to: h.carrier).count == 4)
        #expect(h.requests(.bye).isEmpty, "the call was ended although the ACK came")
    }

    @Test func ourRelayed2xxToACallerReinviteIsRetransmittedAndTheCallees2xxReAcked() throws {
        let h = try DialogHarness()
        try h.answeredCall()
        try h.callerRequest("INVITE", cseq: 8, branch: "z9hG4bK-caller-reinvite", extra: ["Contact: <sip:+14155550123@127.0.0.1:5070>"],
                            body: "v=0\r\n")
        let relayed = try #require(h.requests(.invite, to: DialogHarness.callee).last)
        #expect(relayed.cSeq.sequence == 2)
        let calleeOK = SIPTestKit.response(200, to: relayed, toTag: DialogHarness.calleeTag)
        try h.receive(.response(calleeOK), from: DialogHarness.callee)
        let to200s = { h.responses(200, method: .invite, to: h.carrier).filter { $0.cSeq.sequence == 8 }.count }
        #expect(to200s() == 1)
        h.clock.advance(by: .milliseconds(500))
        h.clock.advance(by: .milliseconds(1000))
        #expect(to200s() == 3)
        #expect(h.requests(.ack, to: DialogHarness.callee).count == 1, "only the first call's ACK so far")
        try h.callerAck(cseq: 8)
        #expect(h.requests(.ack, to: DialogHarness.callee).count == 2)
        h.clock.advance(by: .seconds(10))
        #expect(to200s() == 3, "retransmitted after the ACK")
        // The callee did not get our ACK and retransmits its 2xx: the same ACK again.
        try h.receive(.response(calleeOK), from: DialogHarness.callee)
        try h.receive(.response(calleeOK), from: DialogHarness.callee)
        let acks = h.requests(.ack, to: DialogHarness.callee).filter { $0.cSeq.sequence == 2 }
        #expect(acks.count == 3)
        #expect(Set(acks.map { $0.topVia?.branch ?? "" }).count == 1)
    }

    @Test func ourRelayed2xxToACalleeReinviteIsRetransmittedUntilTheCalleesAck() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        try h.calleeRequest("INVITE", cseq: 2, branch: "z9hG4bK-callee-reinvite", invite: invite, body: "v=0\r\n")
        let relayed = try #require(h.requests(.invite).first { $0.callID == "call-1@carrier.example" })
        try h.receive(.response(SIPTestKit.response(200, to: relayed, toTag: relayed.to.tag)), from: h.carrier)
        let to200s = { h.responses(200, method: .invite, to: DialogHarness.callee).count }
        #expect(to200s() == 1)
        h.clock.advance(by: .milliseconds(500))
        #expect(to200s() == 2)
        let ourTag = try #require(invite.from.tag)
        try h.receive([
            "ACK sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-callee-ack-2",
            "Max-Forwards: 70",
            "From: <sip:desk@127.0.0.1:5090>;tag=\(DialogHarness.calleeTag)",
            "To: <sip:desk@127.0.0.1:5090>;tag=\(ourTag)",
            "Call-ID: \(invite.callID)",
            "CSeq: 2 ACK",
        ], from: DialogHarness.callee)
        h.clock.advance(by: .seconds(10))
        #expect(to200s() == 2, "retransmitted after the callee's ACK")
        #expect(h.requests(.bye).isEmpty)
    }

    // MARK: §12.2 target refresh

    @Test func aCallerReinviteWithANewContactMovesItsRemoteTarget() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        try h.callerRequest("INVITE", cseq: 8, branch: "z9hG4bK-caller-reinvite",
                            extra: ["Contact: <sip:moved@127.0.0.1:5075>"], body: "v=0\r\n")
        let relayed = try #require(h.requests(.invite, to: DialogHarness.callee).last)
        try h.receive(.response(SIPTestKit.response(200, to: relayed, toTag: DialogHarness.calleeTag)), from: DialogHarness.callee)
        try h.callerAck(cseq: 8)
        try h.calleeRequest("BYE", cseq: 3, branch: "z9hG4bK-callee-bye", invite: invite)
        let bye = try #require(h.requests(.bye).first)
        #expect(bye.uri.description == "sip:moved@127.0.0.1:5075")
    }

    @Test func aCalleeUpdateWithANewContactMovesItsRemoteTarget() throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        try h.receive([
            "UPDATE sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-callee-update",
            "Max-Forwards: 70",
            "From: <sip:desk@127.0.0.1:5090>;tag=\(DialogHarness.calleeTag)",
            "To: \(invite.from)",
            "Call-ID: \(invite.callID)",
            "CSeq: 2 UPDATE",
            "Contact: <sip:desk@127.0.0.1:5095>",
        ], from: DialogHarness.callee)
        let relayed = try #require(h.requests(.update).first)
        try h.receive(.response(SIPTestKit.response(200, to: relayed, toTag: relayed.to.tag)), from: h.carrier.withPort(5071))
        try h.callerRequest("BYE", cseq: 9, branch: "z9hG4bK-caller-bye")
        let bye = try #require(h.sends(.bye).first)
        guard case .request(let request) = bye.message else { return }
        #expect(request.uri.description == "sip:desk@127.0.0.1:5095")
        #expect(bye.peer == SIPPeer(transport: .udp, host: "127.0.0.1", port: 5095))
    }

    // MARK: §12.2.2 matching by Call-ID and both tags

    @Test(arguments: [("call-2@carrier.example", "abc"), ("call-1@carrier.example", "not-the-callers")])
    func aRequestWithOurTagButAnotherCallIDOrFromTagIsNotInTheDialog(callID: String, fromTag: String) throws {
        let h = try DialogHarness()
        try h.answeredCall()
        try h.callerRequest("BYE", cseq: 8, branch: "z9hG4bK-stray-bye", callID: callID, fromTag: fromTag)
        #expect(h.responses(481, method: .bye).count == 1)
        #expect(h.requests(.bye).isEmpty, "a stray BYE ended the call")
        #expect(h.engine.activeCallCount == 1)
    }

    // MARK: RFC 8224 Identity and Date

    @Test func identityAndDateOfTheCarriersInviteReachTheOutboundInviteUnchanged() throws {
        let h = try DialogHarness()
        let identity = "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiJ9.eyJhdHRlc3QiOiJBIn0.c2ln;info=<https://cert.example/sp.pem>;alg=ES256;ppt=shaken"
        let date = "Tue, 01 Dec 2026 21:00:00 GMT"
        let invite = try h.answeredCall(inviteExtra: ["Identity: \(identity)", "Date: \(date)"])
        #expect(DialogHarness.wireValues("Identity", in: .request(invite)) == [identity])
        #expect(DialogHarness.wireValues("Date", in: .request(invite)) == [date])
    }

    // MARK: methods we do not relay

    @Test(arguments: ["REFER", "MESSAGE", "NOTIFY", "SUBSCRIBE", "PUBLISH"])
    func aCalleesInDialogMethodWeDoNotRelayIsAnsweredByUs(method: String) throws {
        let h = try DialogHarness()
        let invite = try h.answeredCall()
        let before = h.transport.sent.count
        try h.calleeRequest(method, cseq: 2, branch: "z9hG4bK-callee-\(method)", invite: invite,
                            extra: ["Refer-To: <sip:+19005550199@127.0.0.1>", "Event: refer"])
        let answers = h.transport.sent.dropFirst(before)
        #expect(answers.count == 1, "\(answers)")
        let response = try #require(h.responses(405, method: SIPMethod(method)).first)
        #expect(response.headers["Allow"] == B2BUA.allow)
        #expect(h.requests(SIPMethod(method)).isEmpty, "relayed to the caller")
    }

    @Test func aCallersReferIsAnsweredByUsToo() throws {
        let h = try DialogHarness()
        try h.answeredCall()
        try h.callerRequest("REFER", cseq: 8, branch: "z9hG4bK-caller-refer", extra: ["Refer-To: <sip:+19005550199@127.0.0.1>"])
        #expect(h.responses(405, method: .refer).count == 1)
        #expect(h.requests(.refer).isEmpty)
    }
}

extension SIPPeer {
    func withPort(_ port: Int) -> SIPPeer { SIPPeer(transport: transport, host: host, port: port) }
}
