import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 4 with linphonec (liblinphone 5.1, SHA-256 digest): it registers, then —
/// driven through its standard input (`LinphonePhone`, as LinphoneRegistrarTests starts it) — dials a
/// destination; our 407 is answered with SHA-256, the trunk (SIPp) receives the INVITE with
/// alice's tracking number in From and P-Asserted-Identity and answers; `terminate` hangs up
/// and the BYE reaches the trunk.
@Suite(.serialized) struct LinphoneAgentOutboundTests {
    @Test func linphonePlacesAnAgentCallWithSHA256ThatShowsTheTrackingNumber() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 60).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan()
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]", extra: """
            journal: \(journal.path)
            trunks:
              - { name: carrier-a, host: 127.0.0.1, port: \(trunk.port), prefixes: ["+1"] }

            """), dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: AgentOutboundTests.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)

        let phone = try LinphonePhone(daemonPort: daemon.port)
        defer { phone.stop() }
        func logs() -> String { phone.logs() }

        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 20)
        #expect(registered, "\(logs().suffix(3000))\n\(daemon.log().suffix(2000))")
        guard registered else { return }
        phone.send("call sip:\(AgentOutboundTests.destination)@127.0.0.1:\(daemon.port)")
        let dialled = waitUntil(20) { tracedMessages(trunk.currentMessages(), startingWith: "ACK ", received: true).count == 1 }
        #expect(dialled, "\(logs().suffix(3000))\n\(daemon.log().suffix(3000))")
        phone.send("terminate")
        let run = try trunk.wait(timeout: 30)
        #expect(run.successfulCalls == 1, "\(run.output.suffix(1500))\n\(logs().suffix(2000))")
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(header("From", in: invite)?.contains("sip:\(AgentOutboundTests.agentNumber)@") == true, "\(invite)")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(AgentOutboundTests.agentNumber)@127.0.0.1;user=phone>", "\(invite)")
        #expect(tracedMessages(run.messages, startingWith: "BYE ", received: true).count == 1)
        let (_, m) = try httpGet(port: metricsPort)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"answered\"}") == 1, "\(m)")
        #expect(try db.waitFor("SELECT count(*) FROM call_legs WHERE agent = 'alice' AND ended_at IS NOT NULL", toBe: "2"))
    }
}
