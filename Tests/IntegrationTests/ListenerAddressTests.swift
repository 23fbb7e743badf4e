import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Via and Contact name the listener a message leaves on (RFC 3261 §18.1.1 sent-by, §8.1.1.8
/// Contact): with UDP, TCP, TLS and WS on different ports, a leg over TCP says the TCP port
/// and `;transport=tcp`, one over TLS the TLS port, an INVITE to a browser's WebSocket flow
/// the WS port — and the caller on UDP still sees the UDP port. Before, every message said
/// the first listener's port, so a peer's in-dialog request went to a socket of the wrong
/// transport.
@Suite(.serialized) struct ListenerAddressTests {
    /// A UDP caller reaches a callee on `transport` (tcp or tls); returns what the callee
    /// received and what the caller received.
    func call(over transport: String) throws -> (invite: String, answer: String, ports: (udp: Int, tcp: Int, tls: Int)) {
        let pki = try TestPKI()
        defer { pki.remove() }
        var calleeRun = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])
        calleeRun.transport = "t1"
        let callee = try calleeRun.start()
        defer { callee.stop() }
        // TLS: a TLS server (socat, the test CA's 127.0.0.1 certificate) in front of the TCP callee.
        let bridge = transport == "tls" ? try SocatBridge(toTCPPort: callee.port, pki: pki) : nil
        defer { bridge?.stop() }
        let targetPort = bridge?.port ?? callee.port
        let plan = try TestDialplan(plans: """
          main:
            ring-all: { targets: ["sip:b@127.0.0.1:\(targetPort);transport=\(transport)"], timeout: 10s }

        """)
        defer { plan.remove() }
        let udp = FreePort.next(), tcp = FreePort.next(), tls = FreePort.next()
        let daemon = try DaemonProcess(port: udp, extraConfig: pki.config(), dialplans: plan.directory.path,
                                       extraListeners: ["tls:127.0.0.1:\(tls)"], tcpPort: tcp)
        defer { daemon.stop() }
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20).run()
        #expect(caller.successfulCalls == 1, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let answered = try callee.wait(timeout: 30)
        #expect(answered.successfulCalls == 1)
        let invite = tracedMessages(answered.messages, startingWith: "INVITE ", received: true).first ?? ""
        let answer = tracedMessages(caller.messages, startingWith: "SIP/2.0 200", received: true).first ?? ""
        return (invite, answer, (udp, tcp, tls))
    }

    @Test func aLegOverTCPNamesTheTCPListenerAndTheUDPCallerTheUDPOne() throws {
        let (invite, answer, ports) = try call(over: "tcp")
        #expect(header("Via", in: invite)?.hasPrefix("SIP/2.0/TCP 127.0.0.1:\(ports.tcp);") == true, "\(invite)")
        #expect(header("Contact", in: invite) == "<sip:switchboard@127.0.0.1:\(ports.tcp);transport=tcp>", "\(invite)")
        // Toward the caller (UDP): our 200's Contact is the UDP listener, no transport parameter.
        #expect(header("Contact", in: answer) == "<sip:switchboard@127.0.0.1:\(ports.udp)>", "\(answer)")
        #expect(header("Record-Route", in: invite) == nil, "a B2BUA does not record-route its own legs")
    }

    @Test func aLegOverTLSNamesTheTLSListener() throws {
        let (invite, answer, ports) = try call(over: "tls")
        #expect(header("Via", in: invite)?.hasPrefix("SIP/2.0/TLS 127.0.0.1:\(ports.tls);") == true, "\(invite)")
        #expect(header("Contact", in: invite) == "<sip:switchboard@127.0.0.1:\(ports.tls);transport=tls>", "\(invite)")
        #expect(header("Contact", in: answer) == "<sip:switchboard@127.0.0.1:\(ports.udp)>", "\(answer)")
    }

    /// A browser registered over `ws:` is called: the INVITE down its flow names the WS
    /// listener in Via and Contact (RFC 7118 §5), not the UDP port the caller used.
    @Test func anInviteToAWebSocketContactNamesTheWebSocketListener() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan.ringsAlice()
        defer { plan.remove() }
        let metricsPort = FreePort.next(), udp = FreePort.next(), tcp = FreePort.next(), ws = FreePort.next()
        let daemon = try DaemonProcess(
            port: udp, extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]"),
            dialplans: plan.directory.path, extraListeners: ["ws:127.0.0.1:\(ws)"], tcpPort: tcp)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)
        let agent = try WebSocketTransportTests.Agent(["register-and-answer", "--url", "ws://127.0.0.1:\(ws)/", "--user", "alice",
                                                       "--password", "correct-horse", "--wait", "30"])
        #expect(agent.waitFor("REGISTERED"), "\(agent.output)\n\(daemon.log().suffix(3000))")
        let call = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 30).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(agent.wait() == 0, "\(agent.output)")
        #expect(agent.output.contains("VIA SIP/2.0/WS 127.0.0.1:\(ws);"), "\(agent.output)")
        #expect(agent.output.contains("CONTACT <sip:switchboard@127.0.0.1:\(ws);transport=ws>"), "\(agent.output)")
        let answer = tracedMessages(call.messages, startingWith: "SIP/2.0 200", received: true).first ?? ""
        #expect(header("Contact", in: answer) == "<sip:switchboard@127.0.0.1:\(udp)>", "\(answer)")
    }
}
