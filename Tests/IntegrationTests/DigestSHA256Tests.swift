import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 items 2 and 4 with SHA-256 on the wire (RFC 8760, RFC 7616): SIPp 3.6 only does
/// MD5, so an agent's phone written for the test (Tests/Fixtures/sip/digest_agent.py, the
/// standard library's hashlib) REGISTERs over UDP answering the SHA-256 challenge (qop=auth,
/// cnonce, nc), places an outbound call answering the 407 with SHA-256 through the real
/// daemon to a SIPp trunk, and probes replayed counts, stale nonces and a refused MD5.
@Suite(.serialized) struct DigestSHA256Tests {
    /// Runs the phone to the end (bounded) and returns its output lines.
    static func phone(port: Int, steps: String, timeout: TimeInterval = 90) throws -> [String] {
        try DigestPhone(port: port, steps: steps).finish(timeout: timeout)
    }

    static func value(_ key: String, in lines: [String]) -> String? {
        lines.first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test func sha256IsOfferedFirstAndAnsweredForRegisterAndAnAgentsCall() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan()
        defer { plan.remove() }
        let metrics = FreePort.next()
        // Both algorithms, so "SHA-256 first" is a choice the daemon made; nonces live 10 s
        // (the shortest the config takes) so the stale probe does not wait five minutes.
        let extra = AgentOutboundTests.config(db, metrics: metrics, trunkPort: trunk.port)
            .replacingOccurrences(of: "auth: { algorithms: [MD5] }", with: "auth: { algorithms: [SHA-256, MD5] }\n  nonce-lifetime: 10s")
        #expect(extra.contains("nonce-lifetime: 10s"))
        let daemon = try DaemonProcess(extraConfig: extra, dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: AgentOutboundTests.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        let out = try Self.phone(port: daemon.port,
                                 steps: "register,replay,next,call:\(AgentOutboundTests.destination):1,stale:11")
        let log = "\(out.joined(separator: "\n"))\n\(daemon.log().suffix(3000))"
        #expect(out.last == "DONE", "\(log)")
        // RFC 8760 §2.4: one challenge per algorithm, SHA-256 first, for 401 and 407 alike.
        #expect(Self.value("OFFERED", in: out) == "SHA-256,MD5", "\(log)")
        #expect(Self.value("REGISTER", in: out) == "200", "\(log)")
        // The same nonce with the same nc again is a replay: challenged afresh, not accepted.
        #expect(Self.value("REPLAY", in: out) == "401", "\(log)")
        #expect(Self.value("NEXT", in: out) == "200", "the next nc on the same nonce is good: \(log)")
        #expect(try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1"))
        #expect(Self.value("PROXY-OFFERED", in: out) == "SHA-256,MD5", "\(log)")
        #expect(Self.value("CALL", in: out) == "200", "\(log)")
        #expect(Self.value("BYE", in: out) == "200", "\(log)")
        // Past nonce-lifetime the right answer gets a new challenge marked stale (RFC 7616 §3.3).
        #expect(Self.value("STALE", in: out) == "401 stale=true", "\(log)")

        let run = try trunk.wait(timeout: 30)
        #expect(run.successfulCalls == 1)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(header("From", in: invite)?.contains("sip:\(AgentOutboundTests.agentNumber)@") == true, "\(invite)")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(AgentOutboundTests.agentNumber)@127.0.0.1;user=phone>")
        #expect(header("Proxy-Authorization", in: invite) == nil)
        let legs = try db.waitFor("SELECT count(*) FROM call_legs WHERE agent = 'alice' AND ended_at IS NOT NULL", toBe: "2")
        #expect(legs, "\(daemon.log().suffix(2000))")
    }

    @Test func withMD5DisabledAnMD5AnswerIsRefusedEvenForAnAgentWithAnMD5Digest() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        // The agent's password was set while MD5 was allowed, so an MD5 HA1 is on file: only
        // the daemon's policy can refuse the MD5 answer.
        let old = FileManager.default.temporaryDirectory.appendingPathComponent("md5-policy-\(UUID().uuidString).yaml")
        try "registrar:\n  auth: { algorithms: [SHA-256, MD5] }\n".write(to: old, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: old) }
        try db.addAgent("alice", password: "correct-horse", config: old.path)
        #expect(try db.cli(["agents", "list"]).output.contains("sha-256+md5"))

        let metrics = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metrics, algorithms: "[SHA-256]"))
        defer { daemon.stop() }
        try waitForAgents(metrics, count: 1)
        let out = try Self.phone(port: daemon.port, steps: "md5,register")
        let log = "\(out.joined(separator: "\n"))\n\(daemon.log().suffix(3000))"
        #expect(out.last == "DONE", "\(log)")
        #expect(Self.value("MD5", in: out) == "401", "an MD5 answer must get a new challenge, never a 200: \(log)")
        #expect(Self.value("OFFERED", in: out) == "SHA-256", "\(log)")
        #expect(Self.value("REGISTER", in: out) == "200", "\(log)")
    }
}
