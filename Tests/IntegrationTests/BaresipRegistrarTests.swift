import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// A real softphone as an agent (issue 15): baresip registers with digest, and a call to
/// `agent:alice` reaches it where it registered and is answered (baresip's auto-answer).
@Suite(.serialized) struct BaresipRegistrarTests {
    @Test func baresipRegistersAndReceivesTheAgentsCall() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan.ringsAlice()
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        // baresip 1.0 (Debian 12) answers digest with MD5 only.
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)

        let phone = try BaresipPhone(
            account: "<sip:alice@127.0.0.1:\(daemon.port)>;auth_pass=correct-horse;regint=120;answermode=auto;audio_codecs=PCMU",
            seconds: 20, menu: false)
        defer { phone.stop() }
        let sipPort = phone.sipPort
        func output() -> String { phone.output }

        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 15)
        #expect(registered, "\(output().suffix(1500))\n\(daemon.log().suffix(2000))")
        let ua = try db.query("SELECT user_agent, flow_port FROM agent_bindings").first
        #expect(ua?[0]?.lowercased().contains("baresip") == true)
        #expect(ua?[1] == "\(sipPort)")

        let call = try SIPpRun.caller("caller-any-answer.xml", daemon: daemon, calls: 1).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(output().suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(waitUntil(5) { output().contains("Call established") || output().contains("call established") },
                "\(output().suffix(1500))")
    }
}
