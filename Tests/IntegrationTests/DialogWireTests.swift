import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// RFC 3261 dialogs toward a carrier on the wire (issue 12, item 3): SIPp as a carrier
/// behind a record-routing proxy, with its odd-but-valid header formatting; the scenario's
/// regexp checks fail the call when a response or our BYE breaks a rule.
@Suite(.serialized) struct DialogWireTests {
    @Test func responsesCopyTheCarriersTextAndRecordRouteAndOurByeFollowsTheRouteSet() throws {
        let call = try CallFixture(callees: [.callee("callee-answer-hangup.xml", calls: 2, keys: ["ring": "200"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(callee.port)"))
        let caller = try SIPpRun.caller("caller-record-route.xml", daemon: daemon, calls: 2, rate: 2, timeout: 20).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(2500))")
        #expect(caller.successfulCalls == 2)
        let calleeRun = try callee.wait()
        #expect(calleeRun.successfulCalls == 2, "callee:\n\(calleeRun.output.suffix(1500))")
        // Identity (RFC 8224) and Date went on to the callee unchanged.
        let invites = tracedMessages(calleeRun.messages, startingWith: "INVITE ")
        #expect(invites.count == 2)
        for invite in invites {
            #expect(header("Identity", in: invite)?.hasSuffix(".e30.c2ln;info=<https://cert.example/sp.pem>;alg=ES256;ppt=shaken") == true,
                    "\(invite)")
            #expect(header("Date", in: invite) == "Tue, 01 Dec 2026 21:00:00 GMT")
        }
    }
}

/// RFC 3261 §13.3.1.4 on the wire: a carrier that does not ACK our 2xx gets it again (T1,
/// 2·T1, 4·T1 …, with a short T1 here) over UDP and over TCP, and no more once it ACKs.
@Suite(.serialized) struct TwoXXRetransmissionWireTests {
    @Test(arguments: ["UDP", "TCP"])
    func our200IsRetransmittedUntilTheCarriersAck(transport: String) throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(callee.port)"),
                                          config: "timers: { t1: 100ms, t2: 400ms }\n")
        let client = try RawSIPClient(transport == "UDP" ? .udp : .tcp, port: daemon.port, receiveTimeout: 0.3)
        let via = "Via: SIP/2.0/\(transport) 127.0.0.1:\(client.localPort);branch=z9hG4bK-retx-\(transport);rport"
        let from = "From: <sip:+14155550123@127.0.0.1>;tag=retx-caller"
        let callID = "Call-ID: retx-\(transport)@127.0.0.1"
        let sdp = "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
        client.send([
            "INVITE sip:+13125550100@127.0.0.1:\(daemon.port) SIP/2.0", via, "Max-Forwards: 70", from,
            "To: <sip:+13125550100@127.0.0.1>", callID, "CSeq: 1 INVITE",
            "Contact: <sip:+14155550123@127.0.0.1:\(client.localPort);transport=\(transport.lowercased())>",
            "Content-Type: application/sdp", "Content-Length: \(sdp.utf8.count)", "", sdp,
        ].joined(separator: "\r\n"))
        // Collect until the 200 came four times (first + three retransmissions), bounded.
        var received = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, Self.okCount(received) < 4 {
            received += String(decoding: client.receiveAll(), as: UTF8.self)
        }
        #expect(Self.okCount(received) >= 4, "the 200 was not retransmitted:\n\(received.suffix(1500))")
        let toLine = try #require(received.components(separatedBy: "\r\n").first { $0.hasPrefix("To: ") && $0.contains(";tag=") })
        client.send([
            "ACK sip:switchboard@127.0.0.1:\(daemon.port) SIP/2.0",
            "Via: SIP/2.0/\(transport) 127.0.0.1:\(client.localPort);branch=z9hG4bK-retx-ack;rport", "Max-Forwards: 70",
            from, toLine, callID, "CSeq: 1 ACK", "Content-Length: 0", "", "",
        ].joined(separator: "\r\n"))
        // Whatever was in flight drains; then nothing more for well over T2.
        _ = client.receiveAll()
        var after = ""
        let quiet = Date().addingTimeInterval(1.5)
        while Date() < quiet { after += String(decoding: client.receiveAll(), as: UTF8.self) }
        #expect(Self.okCount(after) == 0, "200 still retransmitted after the ACK:\n\(after.suffix(1500))")
        #expect(!after.contains("BYE "), "the call was ended although the ACK came")
        client.send([
            "BYE sip:switchboard@127.0.0.1:\(daemon.port) SIP/2.0",
            "Via: SIP/2.0/\(transport) 127.0.0.1:\(client.localPort);branch=z9hG4bK-retx-bye;rport", "Max-Forwards: 70",
            from, toLine, callID, "CSeq: 2 BYE", "Content-Length: 0", "", "",
        ].joined(separator: "\r\n"))
        #expect(try callee.wait().successfulCalls == 1)
    }

    /// 200s to the INVITE in a stream of messages.
    static func okCount(_ text: String) -> Int {
        text.components(separatedBy: "SIP/2.0 200 ").dropFirst().filter { message in
            let head = message.components(separatedBy: "\r\n\r\n").first ?? ""
            return head.contains("\r\nCSeq: 1 INVITE\r\n")
        }.count
    }
}
