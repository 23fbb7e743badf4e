import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// A third user agent, and the only one here that speaks SHA-256 digest (RFC 8760):
/// linphonec (liblinphone 5.1) registers with the daemon's default SHA-256-only challenge
/// and auto-answers the call to `agent:alice`. Installed by scripts/setup-debian.
@Suite(.serialized) struct LinphoneRegistrarTests {
    @Test func linphoneRegistersWithSHA256AndAnswers() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan.ringsAlice()
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]"),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)

        let phone = try LinphonePhone(daemonPort: daemon.port)
        defer { phone.stop() }
        func logs() -> String { phone.logs() }

        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 20)
        #expect(registered, "\(logs().suffix(3000))\n\(daemon.log().suffix(2000))")
        let agent = try db.query("SELECT user_agent FROM agent_bindings").first?.first ?? nil
        #expect(agent?.lowercased().contains("linphone") == true, "\(agent ?? "none")")
        let (_, metrics) = try httpGet(port: metricsPort)
        #expect(sample(metrics, "switchboard_registrar_authentications_total{result=\"ok\"}") ?? 0 >= 1)
        guard registered else { return }
        let call = try SIPpRun.caller("caller-any-answer.xml", daemon: daemon, calls: 1).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(logs().suffix(2000))\n\(daemon.log().suffix(2000))")
    }
}
