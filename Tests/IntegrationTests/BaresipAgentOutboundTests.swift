import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 4 with a real softphone: baresip registers as alice, dials a destination,
/// answers our 407 with its own digest code, and the trunk (a SIPp callee) receives the
/// INVITE with alice's tracking number in From and P-Asserted-Identity; the trunk answers,
/// and when baresip quits (its `-t`) it hangs up with BYE, which reaches the trunk.
@Suite(.serialized) struct BaresipAgentOutboundTests {
    @Test func baresipPlacesAnAgentCallThatShowsTheTrackingNumber() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 60).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan()
        defer { plan.remove() }
        let metrics = FreePort.next()
        // baresip 1.0 (Debian 12) answers digest with MD5 only: the config allows it.
        let daemon = try DaemonProcess(extraConfig: AgentOutboundTests.config(db, metrics: metrics, trunkPort: trunk.port),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: AgentOutboundTests.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        let phone = try BaresipPhone(
            account: "<sip:alice@127.0.0.1:\(daemon.port)>;auth_pass=correct-horse;regint=120;audio_codecs=PCMU",
            commands: ["/dial sip:\(AgentOutboundTests.destination)@127.0.0.1:\(daemon.port)"], seconds: 12)
        defer { phone.stop() }
        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 15)
        #expect(registered, "\(phone.output.suffix(1500))\n\(daemon.log().suffix(2000))")

        let run = try trunk.wait(timeout: 45)
        #expect(run.successfulCalls == 1, "\(run.output.suffix(1500))\n\(phone.output.suffix(2000))\n\(daemon.log().suffix(3000))")
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:\(AgentOutboundTests.destination)@127.0.0.1:\(trunk.port);user=phone SIP/2.0"), "\(invite)")
        #expect(header("From", in: invite)?.contains("sip:\(AgentOutboundTests.agentNumber)@") == true, "\(invite)")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(AgentOutboundTests.agentNumber)@127.0.0.1;user=phone>", "\(invite)")
        #expect(header("Proxy-Authorization", in: invite) == nil)
        #expect(tracedMessages(run.messages, startingWith: "BYE ", received: true).count == 1, "the hang-up reached the trunk")
        #expect(phone.waitForExit(timeout: 20))
        #expect(phone.output.contains("Call established") || phone.output.contains("call established"), "\(phone.output.suffix(1500))")
        // Recorded as alice's outbound call, both legs ended with 200.
        #expect(try db.waitFor("SELECT count(*) FROM call_legs WHERE agent = 'alice' AND final_status = 200 AND ended_at IS NOT NULL",
                               toBe: "2"), "\(daemon.log().suffix(2000))")
        let (_, m) = try httpGet(port: metrics)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"answered\"}") == 1, "\(m)")
    }
}
