import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Agents' own calls with two SIP loops (`sip.threads: 2`, issue 12 item 4 meets issue 15
/// item 4). The registrar and every agent's call live on the first loop; a Call-ID starting
/// `sw1.` belongs to the second (`CallIDSharding`), so the phone (digest_agent.py, SHA-256)
/// puts its calls there on purpose: the daemon must hand them over — a TCP connection
/// accepted on one loop, owned by another — challenge them, place them, and keep the
/// per-agent limit node-wide.
@Suite(.serialized) struct ShardedAgentCallTests {
    static let destination = AgentOutboundTests.destination
    static let agentNumber = AgentOutboundTests.agentNumber

    func daemon(_ db: AgentsDatabase, trunkPort: Int, metrics: Int, plan: TestDialplan) throws -> DaemonProcess {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        return try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metrics, algorithms: "[SHA-256]", extra: """
            journal: \(journal.path)
            sip: { threads: 2 }
            trunks:
              - { name: carrier-a, host: 127.0.0.1, port: \(trunkPort), prefixes: ["+1"] }

            """), dialplans: plan.directory.path)
    }

    @Test func anAgentsTCPCallOnTheSecondLoopIsChallengedPlacedAndTheCallbackReachesTheAgent() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan()
        defer { plan.remove() }
        let metrics = FreePort.next()
        let daemon = try daemon(db, trunkPort: trunk.port, metrics: metrics, plan: plan)
        defer { daemon.stop() }
        #expect(daemon.log().contains("sip.threads=2"))
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        // One TCP connection: REGISTER (first loop), the call on the second loop, then it
        // waits on the same connection (its flow) for the callback.
        let phone = try DigestPhone(port: daemon.port, transport: "tcp", steps: "register,call:\(Self.destination):1,callbacks:1",
                                    callIDPrefix: "sw1.", wait: 40)
        #expect(phone.waitFor("BYE", timeout: 40), "\(phone.lines)\n\(daemon.log().suffix(3000))")
        #expect(phone.value("REGISTER") == "200", "\(phone.lines)")
        #expect(phone.value("PROXY-OFFERED") == "SHA-256", "the second loop's call was challenged: \(phone.lines)")
        #expect(phone.value("CALL") == "200", "\(phone.lines)\n\(daemon.log().suffix(3000))")
        #expect(phone.value("BYE") == "200", "\(phone.lines)")
        let run = try trunk.wait(timeout: 30)
        #expect(run.successfulCalls == 1)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(header("From", in: invite)?.contains("sip:\(Self.agentNumber)@") == true, "\(invite)")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(Self.agentNumber)@127.0.0.1;user=phone>")
        #expect(try db.waitFor("SELECT flow_transport FROM agent_bindings WHERE agent = 'alice'", toBe: "TCP"))

        // The callback to the tracking number reaches alice over her TCP flow.
        let back = try SIPpRun.caller("caller-any-answer.xml", daemon: daemon, number: Self.agentNumber, calls: 1).run()
        #expect(back.successfulCalls == 1, "\(back.output.suffix(1500))\n\(phone.lines)\n\(daemon.log().suffix(3000))")
        let lines = phone.finish(timeout: 30)
        #expect(lines.contains { $0.hasPrefix("CALLBACK INVITE sip:alice@127.0.0.1:") }, "\(lines)")
        #expect(lines.last == "DONE", "\(lines)")
    }

    @Test func thePerAgentLimitHoldsWithCallsOnBothLoopsAndTransports() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 60).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan(outbound: "outbound: { max-calls-per-agent: 1 }\n")
        defer { plan.remove() }
        let metrics = FreePort.next()
        let daemon = try daemon(db, trunkPort: trunk.port, metrics: metrics, plan: plan)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        // The first call over UDP, on the first loop, talking for 8 s …
        let first = try DigestPhone(port: daemon.port, transport: "udp", steps: "call:\(Self.destination):8", callIDPrefix: "sw0.")
        #expect(first.waitFor("CALL", timeout: 30), "\(first.lines)\n\(daemon.log().suffix(3000))")
        #expect(first.value("CALL") == "200", "\(first.lines)")
        // … and a second over TCP, on the second loop, while it talks: 503 with the reason.
        let second = try DigestPhone(port: daemon.port, transport: "tcp", steps: "call:\(Self.destination):1", callIDPrefix: "sw1.")
        let refused = second.finish(timeout: 40)
        #expect(DigestSHA256Tests.value("CALL", in: refused) == "503", "\(refused)\n\(daemon.log().suffix(3000))")
        #expect(DigestSHA256Tests.value("REASON", in: refused) == "SIP;cause=503;text=\"agent has 1 calls in progress (limit 1)\"",
                "\(refused)")
        let held = first.finish(timeout: 40)
        #expect(DigestSHA256Tests.value("BYE", in: held) == "200", "\(held)")
        let trunkRun = try trunk.wait(timeout: 30)
        #expect(tracedMessages(trunkRun.messages, startingWith: "INVITE ", received: true).count == 1, "only the first call was dialled")
        let (_, m) = try httpGet(port: metrics)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-concurrency\"}") == 1, "\(m)")
    }
}
