import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// RFC 4475 and RFC 5118 messages sent to the real daemon over TCP (responses come back on
/// the same connection, RFC 3261 §18.2.2) and UDP: the daemon answers as the fixtures'
/// README says, never crashes, and a normal request still works afterwards.
@Suite(.serialized) struct WireTortureTests {
    static let fixtures = DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures")

    /// What the daemon answers over TCP, per file: the README's verdict where the parser or
    /// RFC 3261 §8.2 checks decide, and our method policy for the valid ones (no number
    /// exists yet: INVITE 404; REGISTER 405; unknown methods 501). nil: nothing comes back.
    static let expectedOverTCP: [String: Int?] = [
        // §3.1.1 valid
        // wsinv carries a To tag: a request inside a dialog we do not have (RFC 3261 §12.2.2).
        "wsinv": 481, "intmeth": 501, "esc01": 404, "escnull": 405, "esc02": 501, "lwsdisp": 200,
        "longreq": 404, "dblreq": 405, "semiuri": 200, "transports": 200, "mpart01": 405,
        "unreason": nil, "noreason": nil,
        // §3.1.2 invalid
        "badinv01": 400, "clerr": nil /* waits for the body, then the stall timeout closes */,
        "ncl": 400, "scalar02": 400, "scalarlg": nil, "quotbal": 400, "ltgtruri": 400, "lwsruri": 400,
        "lwsstart": 400, "trws": 400, "escruri": 400, "baddate": 404, "regbadct": 400, "badaspec": 400,
        "baddn": 400, "badvers": 505, "mismatch01": 400, "mismatch02": 501, "bigcode": nil,
        // §3.2, §3.3, §3.4
        "badbranch": 400, "insuf": 400, "unkscm": 416, "novelsc": 416, "unksm2": 405, "bext01": 420,
        "invut": 415, "regaut01": 405, "multi01": 400, "mcl01": 400, "bcast": nil, "zeromf": 483,
        "cparam01": 405, "cparam02": 405, "regescrt": 405, "sdp01": 406,
        "inv2543": nil /* no Content-Length: framing lost on a stream, connection closed */,
    ]

    @Test func tortureMessagesOverTCP() throws {
        let daemon = try DaemonProcess(extraConfig: "limits: { tcp-stall-timeout: 1s }\n")
        defer { daemon.stop() }
        let before = daemon.residentKiB() ?? 0
        var seen: [String: Int?] = [:]
        for (name, expected) in Self.expectedOverTCP.sorted(by: { $0.key < $1.key }) {
            var bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("rfc4475/\(name).dat")))
            if name == "baddn" { bytes += Array("\r\n".utf8) }  // its archive copy lacks the final CRLF
            let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.5)
            client.send(bytes)
            let codes = RawSIPClient.statusCodes(in: client.receiveAll()).filter { $0 >= 200 }
            seen[name] = codes.first
            #expect(codes.first == expected, "\(name): got \(codes), expected \(String(describing: expected))")
            #expect(daemon.isRunning, "daemon died on \(name)")
        }
        #expect(seen.count == 49)
        try assertStillAnswers(daemon)
        let after = daemon.residentKiB() ?? 0
        #expect(after - before < 20_000, "RSS grew from \(before) to \(after) KiB")
    }

    @Test func tortureMessagesOverUDPNeverKillTheDaemon() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent("rfc4475").path)
            .filter { $0.hasSuffix(".dat") }
        #expect(names.count == 49)
        let client = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 0.05)
        for _ in 0..<20 {
            for name in names {
                client.send(try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("rfc4475/\(name)"))))
            }
            _ = client.receiveAll()
        }
        #expect(daemon.isRunning)
        try assertStillAnswers(daemon)
    }

    @Test func ipv6MessagesOverTCPOnIPv6Loopback() throws {
        let port = FreePort.next()
        let daemon = try DaemonProcess(port: port, listenHost: "::1")
        defer { daemon.stop() }
        let expected: [String: Int] = [
            "ipv6-good": 405, "ipv6-bad": 400, "port-ambiguous": 405, "port-unambiguous": 405,
            "via-received-param-with-delim": 481, "via-received-param-no-delim": 200, "ipv6-in-sdp": 404,
            "mult-ip-in-header": 481 /* BYE outside any dialog */, "mult-ip-in-sdp": 404, "ipv4-mapped-ipv6": 404,
            "ipv6-bug-abnf-3-colons": 200, "ipv6-correct-abnf-2-colons": 200,
        ]
        for (name, status) in expected.sorted(by: { $0.key < $1.key }) {
            let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("rfc5118/\(name)")))
            let client = try RawSIPClient(.tcp, host: "::1", port: port, receiveTimeout: 0.5)
            client.send(bytes)
            let codes = RawSIPClient.statusCodes(in: client.receiveAll()).filter { $0 >= 200 }
            #expect(codes.first == status, "\(name): got \(codes)")
        }
        #expect(daemon.isRunning)
    }

    @Test func stalledTCPMessageIsDisconnected() throws {
        let daemon = try DaemonProcess(extraConfig: "limits: { tcp-stall-timeout: 1s }\n")
        defer { daemon.stop() }
        let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
        client.send("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKstall\r\n")
        let start = Date()
        #expect(client.waitForClose(timeout: 5))
        #expect(Date().timeIntervalSince(start) >= 0.8)
    }

    @Test func brokenFramingClosesTheConnection() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
        client.send("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKx\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")
        #expect(client.waitForClose(timeout: 3))
    }

    @Test func untrustedSourceGetsOneIdentical403() throws {
        // Trust only a network the test client is not in.
        let daemon = try DaemonProcess(extraConfig: "trusted-networks: [\"192.0.2.0/24\"]\n")
        defer { daemon.stop() }
        var statusLines: Set<String> = []
        for number in ["+15550100000", "+15550100001", "unknown"] {
            let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.5)
            client.send(Self.invite(to: number, port: client.localPort))
            let text = String(decoding: client.receiveAll(), as: UTF8.self)
            let line = text.components(separatedBy: "\r\n").first { $0.hasPrefix("SIP/2.0 4") } ?? "none"
            statusLines.insert(line)
        }
        #expect(statusLines == ["SIP/2.0 403 Forbidden"])
    }

    static func invite(to user: String, port: Int) -> String {
        "INVITE sip:\(user)@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:\(port);branch=z9hG4bK\(UUID().uuidString.prefix(8))\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:+15550001234@127.0.0.1>;tag=abc\r\nTo: <sip:\(user)@127.0.0.1>\r\n"
            + "Call-ID: \(UUID().uuidString)\r\nCSeq: 1 INVITE\r\nContact: <sip:c@127.0.0.1:\(port);transport=tcp>\r\nContent-Length: 0\r\n\r\n"
    }

    func assertStillAnswers(_ daemon: DaemonProcess) throws {
        let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1)
        client.send("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:\(client.localPort);branch=z9hG4bKafter\r\nMax-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: after-torture\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        #expect(RawSIPClient.statusCodes(in: client.receiveAll()) == [200])
    }
}
