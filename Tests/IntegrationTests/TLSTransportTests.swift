import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 6 (SIP over TLS) and issue 13 item 0 for TLS listeners, against the real
/// daemon with a throwaway CA made by the test (openssl CLI). The TLS peers are real OpenSSL:
/// socat in front of SIPp (Debian's SIPp has no TLS), and Python's ssl module.
@Suite(.serialized) struct TLSTransportTests {
    static func options(_ callID: String) -> String {
        TransportResilienceTests.request("OPTIONS", via: "SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK\(callID);rport",
                                         callID: callID)
    }

    func metrics(_ port: Int) throws -> String {
        let (status, body) = try httpGet(port: port)
        #expect(status == 200)
        return body
    }

    func waitForLog(_ daemon: DaemonProcess, _ text: String, count: Int = 1, timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if daemon.log().components(separatedBy: text).count - 1 >= count { return true }
            usleep(50_000)
        }
        return false
    }

    /// SIPp (TCP) → socat (OpenSSL client with a certificate of the CA, verifying the daemon's)
    /// → the daemon's `tls:` listener with client verification on → SIPp callee: answered, and
    /// both legs land in PostgreSQL.
    @Test func aCallOverTLSIsAnsweredAndRecorded() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let setup = try LegRecordTests.Setup()
        defer { setup.cleanUp() }
        let callee = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { callee.stop() }
        let tlsPort = FreePort.next()
        let daemon = try DaemonProcess(
            extraConfig: "journal: \(setup.journal.path)\ndatabase: \"\(setup.database)\"\nnode-id: test-node\n" + pki.config(verifyClients: true),
            dialplans: try setup.dialplan(calleePort: callee.port), extraListeners: ["tls:127.0.0.1:\(tlsPort)"])
        defer { daemon.stop() }
        #expect(daemon.log().contains("tls:127.0.0.1:\(tlsPort)"), "the TLS listener is not in the ready line")
        let bridge = try SocatBridge(toTLSPort: tlsPort, pki: pki)
        defer { bridge.stop() }
        var caller = SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20)
        caller.target = "127.0.0.1:\(bridge.port)"
        caller.transport = "t1"
        let run = try caller.run()
        #expect(run.status == 0, "call over TLS failed:\n\(run.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(run.successfulCalls == 1)
        #expect(try callee.wait().successfulCalls == 1)
        // The only way in was TLS with a client certificate: plain SIP on that port gets nothing.
        let plain = try RawSIPClient(.tcp, port: tlsPort, receiveTimeout: 1)
        plain.send(Self.options("plain"))
        #expect(!String(decoding: plain.receiveAll(), as: UTF8.self).contains("SIP/2.0"))
        let legs = try setup.legs(expected: 2)
        #expect(legs.total == 2 && legs.distinct == 2, "legs recorded: \(legs)")
    }

    /// With `verify-clients: true`, a client certificate from another CA and no certificate
    /// at all are refused (no SIP answer, counted); one from the configured CA is served.
    @Test func aBadClientCertificateIsRefusedWhenVerificationIsOn() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tlsPort = FreePort.next(), metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(metricsPort)\n" + pki.config(verifyClients: true),
                                       extraListeners: ["tls:127.0.0.1:\(tlsPort)"])
        defer { daemon.stop() }
        let rogue = try TLSClient(port: tlsPort, pki: pki, certificate: "rogue-client", messages: [Self.options("rogue")]).run()
        #expect(rogue.status != 0 && rogue.finalStatuses.isEmpty, "a stranger's certificate was served:\n\(rogue.output)")
        let anonymous = try TLSClient(port: tlsPort, pki: pki, certificate: nil, messages: [Self.options("anon")]).run()
        #expect(anonymous.status != 0 && anonymous.finalStatuses.isEmpty, "no certificate was served:\n\(anonymous.output)")
        let carrier = try TLSClient(port: tlsPort, pki: pki, certificate: "client", messages: [Self.options("carrier")]).run()
        #expect(carrier.status == 0, "\(carrier.output)")
        #expect(carrier.finalStatuses == [200], "\(carrier.output)")
        #expect(carrier.subject == "switchboard-one")
        #expect(carrier.output.contains("VERSION TLSv1.3") || carrier.output.contains("VERSION TLSv1.2"))
        let scrape = try metrics(metricsPort)
        #expect((sample(scrape, "switchboard_tls_handshake_failures_total") ?? 0) >= 2,
                "\(scrape.split(separator: "\n").filter { $0.contains("tls") })")
    }

    /// SIGHUP with a new certificate in the configured files: new connections get it, a
    /// connection opened before goes on working; a broken certificate refuses the reload and
    /// the last good one stays.
    @Test func sighupServesANewCertificateWithoutDroppingConnections() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tlsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: pki.config(), extraListeners: ["tls:127.0.0.1:\(tlsPort)"])
        defer { daemon.stop() }
        // Without verify-clients, a phone without a certificate is served.
        let held = try TLSClient(port: tlsPort, pki: pki, messages: [Self.options("held")]).hold()
        #expect(held.waitHolding(), "\(held.output)")
        #expect(held.output.contains("SUBJECT switchboard-one"))

        try pki.issueServer("server-two", subject: "switchboard-two")
        // As certbot renews: new contents at the configured paths.
        for ext in ["pem", "key"] {
            try Data(contentsOf: URL(fileURLWithPath: pki.path("server-two.\(ext)")))
                .write(to: URL(fileURLWithPath: pki.path("server.\(ext)")), options: .atomic)
        }
        daemon.signal(SIGHUP)
        #expect(waitForLog(daemon, "TLS certificate reloaded"), "\(daemon.log().suffix(2000))")
        let fresh = try TLSClient(port: tlsPort, pki: pki, messages: [Self.options("fresh")]).run()
        #expect(fresh.subject == "switchboard-two", "\(fresh.output)")
        #expect(fresh.finalStatuses == [200])

        let again = held.again()
        #expect(again.status == 0, "the connection from before the reload: \(again.output)")
        #expect(again.output.components(separatedBy: "SIP/2.0 200").count - 1 == 2, "\(again.output)")

        // A broken certificate: the reload is refused, the running one stays.
        try "not a certificate\n".write(toFile: pki.path("server.pem"), atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(waitForLog(daemon, "reload refused"), "\(daemon.log().suffix(2000))")
        let after = try TLSClient(port: tlsPort, pki: pki, messages: [Self.options("after")]).run()
        #expect(after.subject == "switchboard-two", "\(after.output)")
        #expect(after.finalStatuses == [200])
        #expect(daemon.isRunning)
    }

    /// Issue 13 item 0 for TLS: requests whose responses cannot be sent where their Via says
    /// (port 0, broadcast, multicast…), on connections reset right after, never close the
    /// TLS listener; afterwards OPTIONS and a whole call over TLS work.
    @Test func badViasAndResetsOverTLSNeverCloseTheListener() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let callee = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { callee.stop() }
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:a@127.0.0.1:\(callee.port)\"], timeout: 10s }\n")
        defer { plan.remove() }
        let tlsPort = FreePort.next(), metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(metricsPort)\n" + pki.config(),
                                       dialplans: plan.directory.path, extraListeners: ["tls:127.0.0.1:\(tlsPort)"])
        defer { daemon.stop() }
        for (i, via) in TransportResilienceTests.badVias.enumerated() {
            var client = TLSClient(port: tlsPort, pki: pki, messages: ["OPTIONS", "INVITE"].map {
                TransportResilienceTests.request($0, via: "\(via);branch=z9hG4bKtls\(i)\($0)", callID: "tls-\(i)-\($0)")
            })
            client.reset = i % 2 == 0
            _ = try client.run()
        }
        #expect(daemon.isRunning)
        let ok = try TLSClient(port: tlsPort, pki: pki, messages: [Self.options("after-bad")]).run()
        #expect(ok.finalStatuses == [200], "\(ok.output)")
        let bridge = try SocatBridge(toTLSPort: tlsPort, pki: pki)
        defer { bridge.stop() }
        var caller = SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20)
        caller.target = "127.0.0.1:\(bridge.port)"
        caller.transport = "t1"
        let run = try caller.run()
        #expect(run.status == 0, "call over TLS failed:\n\(run.output.suffix(1500))")
        #expect(try callee.wait().successfulCalls == 1)
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_sip_listener_reopens_total") == 0)
        #expect(sample(scrape, "switchboard_sip_listeners_down") == 0)
    }

    /// A `sips:` target: the daemon connects over TLS (verifying the callee's certificate
    /// against `tls.ca`, by its IP address SAN) to socat's TLS server in front of a SIPp
    /// callee; the call is answered. The first step of the plan is an impostor in front of
    /// the same callee, with a certificate of another CA: that leg must fail in the handshake
    /// and at once (its step timer is 10 minutes, far beyond the caller's bound), and the
    /// callee never sees its INVITE.
    @Test func aSIPSTargetIsCalledOverVerifiedTLS() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        var calleeRun = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])
        calleeRun.transport = "t1"
        let callee = try calleeRun.start()
        defer { callee.stop() }
        let bridge = try SocatBridge(toTCPPort: callee.port, pki: pki)
        defer { bridge.stop() }
        let impostor = try SocatBridge(toTCPPort: callee.port, pki: pki, certificate: "rogue-server")
        defer { impostor.stop() }
        let plan = try TestDialplan(plans: """
          main:
            sequential:
              steps:
                - { target: "sips:impostor@127.0.0.1:\(impostor.port)", timeout: 10m }
                - { target: "sips:a@127.0.0.1:\(bridge.port)", timeout: 10m }

        """)
        defer { plan.remove() }
        let daemon = try DaemonProcess(extraConfig: pki.config(), dialplans: plan.directory.path,
                                       extraListeners: ["tls:127.0.0.1:\(FreePort.next())"])
        defer { daemon.stop() }
        let run = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20).run()
        #expect(run.status == 0, "call to a sips: target failed:\n\(run.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let answered = try callee.wait()
        #expect(answered.successfulCalls == 1)
        #expect(tracedMessages(answered.messages, startingWith: "INVITE sips:a@127.0.0.1:\(bridge.port)", received: true).count == 1,
                "\(answered.messages.suffix(2000))")
        #expect(!answered.messages.contains("impostor@"), "the impostor's INVITE reached the callee")
    }
}

/// A trunk's `tls-server-name:` (issue 15 item 6): the trunk's certificate names a host, not
/// the IP address we connect to. With the name configured the daemon sends it in SNI and
/// checks the certificate against it, and the call goes through; without it the certificate
/// does not name 127.0.0.1, the handshake is refused and nothing reaches the trunk.
@Suite(.serialized) struct TLSTrunkServerNameTests {
    static let destination = "+16502530000"

    func daemon(pki: TestPKI, trunkPort: Int, serverName: String?) throws -> (DaemonProcess, TestDialplan) {
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"tel:\(Self.destination)\"], timeout: 10s }\n")
        let name = serverName.map { ", tls-server-name: \($0)" } ?? ""
        let daemon = try DaemonProcess(extraConfig: pki.config() + """
            trunks:
              - { name: carrier-tls, host: 127.0.0.1, port: \(trunkPort), transport: tls, prefixes: ["+1"]\(name) }

            """, dialplans: plan.directory.path)
        return (daemon, plan)
    }

    @Test func theConfiguredNameIsCheckedAndTheIPAloneIsNot() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.issueServer("trunk", subject: "carrier-trunk", san: "DNS:sip.carrier.example")
        let callee = try { var c = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]); c.transport = "t1"; return try c.start() }()
        defer { callee.stop() }
        let bridge = try SocatBridge(toTCPPort: callee.port, pki: pki, certificate: "trunk")
        defer { bridge.stop() }

        // No name: the certificate must name 127.0.0.1, and it does not.
        let (unnamed, plan1) = try daemon(pki: pki, trunkPort: bridge.port, serverName: nil)
        defer { plan1.remove(); unnamed.stop() }
        let refused = try SIPpRun.caller(daemon: unnamed, calls: 1, timeout: 20).run()
        #expect(refused.successfulCalls == 0, "a certificate for another name was accepted: \(unnamed.log().suffix(2000))")
        #expect(tracedMessages(callee.currentMessages(), startingWith: "INVITE ", received: true).isEmpty)
        unnamed.stop()

        let (named, plan2) = try daemon(pki: pki, trunkPort: bridge.port, serverName: "sip.carrier.example")
        defer { plan2.remove(); named.stop() }
        let call = try SIPpRun.caller(daemon: named, calls: 1, timeout: 20).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(named.log().suffix(3000))")
        let run = try callee.wait(timeout: 30)
        #expect(run.successfulCalls == 1)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:\(Self.destination)@127.0.0.1:\(bridge.port)"), "\(invite)")
        #expect(header("Via", in: invite)?.hasPrefix("SIP/2.0/TLS ") == true, "\(invite)")
    }

    @Test func checkReportsBadServerNamesAtTheirPosition() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-name-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("switchboard.yaml")
        try """
        trunks:
          - { name: a, host: 127.0.0.1, port: 5061, transport: tls, tls-server-name: 10.0.0.1 }
          - { name: b, host: 127.0.0.1, port: 5061, transport: tls, tls-server-name: "bad name" }
          - { name: c, host: 127.0.0.1, port: 5060, transport: udp, tls-server-name: sip.example.com }
        websocket:
          allowed-origins: ["https://app.example.com/", "ftp://x.example"]
          allow-missing-origin: maybe

        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try AgentsDatabase.run(["check", "--config", file.path])
        #expect(r.status != 0)
        #expect(r.output.contains("switchboard.yaml:2:78: error: tls-server-name must be a host name, not an IP address"), "\(r.output)")
        #expect(r.output.contains("switchboard.yaml:3:78: error: tls-server-name 'bad name' is not a host name"), "\(r.output)")
        #expect(r.output.contains("switchboard.yaml:4:78: error: tls-server-name 'sip.example.com' needs transport: tls"), "\(r.output)")
        #expect(r.output.contains("switchboard.yaml:6:21: error: origin 'https://app.example.com/' must be scheme://host[:port] with no path"), "\(r.output)")
        #expect(r.output.contains("switchboard.yaml:6:49: error: origin 'ftp://x.example' must start with https:// or http://"), "\(r.output)")
        #expect(r.output.contains("switchboard.yaml:7:25: error: allow-missing-origin is true or false, got 'maybe'"), "\(r.output)")
    }
}
