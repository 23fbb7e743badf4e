import Foundation
import Registrar
import ProcessTestKit
import SIPTestKit
import Testing

/// NAT and RFC 5626 end to end (issue 15 item 2): a phone behind NAT (private Contact)
/// registers over TCP from a stranger's address with SHA-256 digest, `;ob` and a reg-id,
/// gets `Require: outbound`, a CRLF pong to its CRLFCRLF ping, and its call arrives over
/// its own connection for the Contact it registered.
@Suite(.serialized) struct RegistrarFlowTests {
    @Test func tcpPhoneBehindNATIsCalledOverItsOwnConnection() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan.ringsAlice()
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]",
                                                                   extra: "trusted-networks: [\"127.0.0.1/32\"]\n"),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)

        let phone = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1, localHost: "127.0.0.9")
        let uri = "sip:127.0.0.1:\(daemon.port)"
        func register(_ cseq: Int, authorization: String? = nil) -> String {
            var lines = [
                "REGISTER \(uri) SIP/2.0",
                "Via: SIP/2.0/TCP 192.168.1.20:5060;branch=z9hG4bK-flow-\(cseq);rport",
                "Max-Forwards: 70",
                "From: <sip:alice@127.0.0.1>;tag=flow1",
                "To: <sip:alice@127.0.0.1>",
                "Call-ID: flow-test@192.168.1.20",
                "CSeq: \(cseq) REGISTER",
                "Contact: <sip:alice@192.168.1.20:5060;transport=tcp;ob>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"",
                "Supported: outbound, path",
                "Expires: 300",
            ]
            if let authorization { lines.append("Authorization: \(authorization)") }
            return lines.joined(separator: "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
        }
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

        phone.send(register(1))
        let challenge = text(phone.receiveAll())
        #expect(challenge.hasPrefix("SIP/2.0 401"), "\(challenge)")
        #expect(challenge.contains("algorithm=SHA-256, qop=\"auth\""), "\(challenge)")
        let nonce = try #require(challenge.range(of: "nonce=\"").map { String(challenge[$0.upperBound...].prefix(while: { $0 != "\"" })) })
        let ha1 = DigestAlgorithm.sha256.ha1(username: "alice", realm: "switchboard", password: "correct-horse")
        let response = DigestAlgorithm.sha256.response(ha1: ha1, nonce: nonce, nc: "00000001", cnonce: "0a4f113b", qop: "auth",
                                                       method: "REGISTER", uri: uri)
        phone.send(register(2, authorization: "Digest username=\"alice\", realm=\"switchboard\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
                            + "response=\"\(response)\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"0a4f113b\""))
        let ok = text(phone.receiveAll())
        #expect(ok.hasPrefix("SIP/2.0 200"), "\(ok)\n\(daemon.log().suffix(2000))")
        #expect(ok.contains("Require: outbound"), "\(ok)")

        // RFC 5626 §4.4.1: a CRLFCRLF ping on the flow gets a CRLF pong.
        phone.send("\r\n\r\n")
        #expect(phone.receiveAll() == Array("\r\n".utf8))

        // A carrier's call to alice comes over this very connection (the phone's private
        // Contact is unreachable), for the Contact it registered.
        let caller = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).start()
        defer { caller.stop() }
        var received = ""
        #expect(waitUntil(10) {
            received += text(phone.receiveAll())
            return received.contains("\r\n\r\n") && received.contains("INVITE ")
        }, "\(received)\n\(daemon.log().suffix(2000))")
        let invite = try #require(received.range(of: "INVITE ").map { String(received[$0.lowerBound...]) })
        #expect(invite.hasPrefix("INVITE sip:alice@192.168.1.20:5060"), "\(invite)")
        let head = invite.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        func lines(_ name: String) -> [String] { head.filter { $0.lowercased().hasPrefix(name.lowercased() + ":") } }
        var busy = ["SIP/2.0 486 Busy Here"] + lines("Via") + lines("From")
        busy += lines("To").map { $0 + ";tag=phone486" } + lines("Call-ID") + lines("CSeq")
        phone.send(busy.joined(separator: "\r\n") + "\r\nContent-Length: 0\r\n\r\n")
        let result = try caller.wait(timeout: 20)
        #expect(finalStatuses(result) == [486], "\(result.messages.suffix(1500))")
    }
}
