import Billing
import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 4 end to end: a SIPp agent places calls through the real daemon — 407 with
/// Proxy-Authenticate, Proxy-Authorization, out through the trunk (a second SIPp) with the
/// agent's tracking number in From and P-Asserted-Identity — every toll-fraud refusal with
/// its status and Reason and nothing dialled, the legs in a real PostgreSQL, the close
/// rating the call at the account's outbound rates, and the callback to the tracking number
/// reaching the agent.
@Suite(.serialized) struct AgentOutboundTests {
    static let agentNumber = "+13125550177"
    /// A valid US number (libphonenumber refuses the fictional 555-01xx ranges as destinations).
    static let destination = "+16502530000"

    /// The daemon's config: registrar (MD5: SIPp 3.6 speaks only MD5), a +1 trunk, metrics.
    /// The journal goes in a fresh temporary directory (the legs reach PostgreSQL through it).
    static func config(_ db: AgentsDatabase, metrics: Int, trunkPort: Int, extra: String = "") -> String {
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        return registrarConfig(database: db.url, metricsPort: metrics, extra: """
        journal: \(journal.path)
        trunks:
          - { name: carrier-a, host: 127.0.0.1, port: \(trunkPort), prefixes: ["+1"] }
        \(extra)
        """)
    }

    static func plan(outbound: String = "") throws -> TestDialplan {
        try TestDialplan.ringsAlice(outbound: outbound)
    }

    @Test func anAgentsCallIsChallengedPlacedThroughTheTrunkRecordedAndRated() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let billing = try Billing(connectionString: db.url)
        var account = NewAccount(name: "test-account", timezone: "America/Chicago", plan: "pay-as-you-go")
        account.start = Date().addingTimeInterval(-86_400)
        try billing.createAccount(account)

        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { trunk.stop() }
        let plan = try Self.plan()
        defer { plan.remove() }
        let metrics = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: Self.config(db, metrics: metrics, trunkPort: trunk.port),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        let call = try SIPpRun.agentCall(daemon: daemon, user: "alice", password: "correct-horse", dest: Self.destination).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        // The challenge: 407 with Proxy-Authenticate (RFC 3261 §22.3), the registrar's digest.
        let challenge = try #require(tracedMessages(call.messages, startingWith: "SIP/2.0 407", received: true).first)
        #expect(header("Proxy-Authenticate", in: challenge)?.contains("realm=\"switchboard\"") == true)
        #expect(header("Proxy-Authenticate", in: challenge)?.contains("qop=\"auth\"") == true)
        let sent = try #require(tracedMessages(call.messages, startingWith: "INVITE", received: false).last)
        #expect(header("Proxy-Authorization", in: sent) != nil)

        // Toward the trunk: the destination as the trunk wants it, the tracking number as
        // the caller ID and the asserted identity, nothing that says "forwarded".
        let run = try trunk.wait(timeout: 30)
        #expect(run.successfulCalls == 1)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:\(Self.destination)@127.0.0.1:\(trunk.port);user=phone SIP/2.0"), "\(invite)")
        #expect(header("From", in: invite)?.contains("sip:\(Self.agentNumber)@") == true, "\(invite)")
        #expect(header("From", in: invite)?.contains("Agent Display") == false, "the phone's display name is not ours to pass on")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(Self.agentNumber)@127.0.0.1;user=phone>", "\(invite)")
        #expect(header("Privacy", in: invite) == nil)
        #expect(header("Diversion", in: invite) == nil)
        #expect(header("Proxy-Authorization", in: invite) == nil, "credentials never leave us")

        // Recorded as the account's outbound call: both legs name the agent and its number.
        #expect(try db.waitFor("SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL", toBe: "2"), "\(daemon.log().suffix(2000))")
        let legs = try db.query("""
            SELECT direction, account, tracking_number, agent, target, final_status, source
            FROM call_legs ORDER BY direction
            """)
        #expect(legs.count == 2)
        #expect(legs.map { $0[0] } == ["agent", "outbound"])
        for leg in legs {
            #expect(leg[1] == "test-account")
            #expect(leg[2] == Self.agentNumber)
            #expect(leg[3] == "alice")
            #expect(leg[4] == "tel:\(Self.destination)")
            #expect(leg[5] == "200")
            #expect(leg[6] == "agent-outbound")
        }
        #expect(try db.query("SELECT source, tracking_number FROM calls").first == ["agent-outbound", Self.agentNumber])

        // Billing: the dialled leg only, at pay-as-you-go's outbound +1 rate. Recomputed here
        // from docs/billing.md's rules and the seeded rate (3 ¢/min = 3 000 000 µ¢, 60/60,
        // 60 s minimum), not from the close's SQL: started seconds of talk, at least the
        // minimum, rounded up to whole 60 s increments, priced per minute, rounded half up.
        let times = try #require(try db.query("""
            SELECT (extract(epoch FROM answered_at) * 1000000)::bigint, (extract(epoch FROM ended_at) * 1000000)::bigint
            FROM call_legs WHERE direction = 'outbound'
            """).first)
        let talk = (Int64(times[1]!)! - Int64(times[0]!)! + 999_999) / 1_000_000
        let billed = ((max(talk, 60) + 59) / 60) * 60
        let expectedCents = (billed * 3_000_000 / 60 + 500_000) / 1_000_000
        let close = try billing.close(at: Date().addingTimeInterval(2 * 86_400), account: "test-account")
        #expect(close.legsRated == 1, "the agent's own leg is not billed as well")
        #expect(close.usageAmount["USD"] == expectedCents)
        #expect(expectedCents == 3)

        let (_, m) = try httpGet(port: metrics)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"answered\"}") == 1, "\(m)")

        // The callback: the carrier calls the agent's tracking number; it reaches alice
        // where she is registered.
        let phone = FreePort.next()
        let r = try SIPpRun.register(daemon: daemon, user: "alice", password: "correct-horse", localPort: phone).run()
        #expect(r.successfulCalls == 1, "\(r.output.suffix(1500))")
        var ringing = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])
        ringing.localPort = phone
        let desk = try ringing.start()
        defer { desk.stop() }
        let back = try SIPpRun.caller(daemon: daemon, number: Self.agentNumber, calls: 1).run()
        #expect(back.successfulCalls == 1, "\(back.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let answered = try desk.wait(timeout: 20)
        #expect(tracedMessages(answered.messages, startingWith: "INVITE sip:alice@127.0.0.1:\(phone)", received: true).count == 1)
    }

    @Test func privacyIdWithholdsTheFromButKeepsTheAssertedIdentityForTheTrunk() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { trunk.stop() }
        let plan = try Self.plan()
        defer { plan.remove() }
        let metrics = FreePort.next()
        // The agent's phone is on an untrusted address (only 127.0.0.2 is a carrier): its
        // first INVITE is answered statelessly with the 407, the ACK for it dropped.
        let daemon = try DaemonProcess(extraConfig: Self.config(db, metrics: metrics, trunkPort: trunk.port,
                                                                extra: "trusted-networks: [\"127.0.0.2/32\"]\n"),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        let call = try SIPpRun.agentCall(daemon: daemon, user: "alice", password: "correct-horse", dest: Self.destination,
                                         privacy: "id").run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let run = try trunk.wait(timeout: 30)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(header("From", in: invite)?.contains("anonymous") == true, "\(invite)")
        #expect(header("From", in: invite)?.contains(Self.agentNumber) == false)
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(Self.agentNumber)@127.0.0.1;user=phone>")
        #expect(header("Privacy", in: invite) == "id")
    }

    @Test func everyRefusalHasItsStatusAndReasonAndNothingIsDialled() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        // The trunk answers one call: the one held open for the concurrency refusal.
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 60).start()
        defer { trunk.stop() }
        let plan = try Self.plan(outbound: "outbound: { max-calls-per-agent: 1 }\n")
        defer { plan.remove() }
        let metrics = FreePort.next()
        // The agent calls from the Internet (127.0.0.1 is not a carrier here), where a wrong
        // password and an unknown user must look the same; the flood limits are lifted so the
        // test's quick succession of calls is not banned.
        let daemon = try DaemonProcess(extraConfig: Self.config(db, metrics: metrics, trunkPort: trunk.port, extra: """
            trusted-networks: ["127.0.0.2/32"]
            security: { flood: { requests: 100000, window: 1s, new-calls: 1000 } }

            """), dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        func refused(_ dest: String, user: String = "alice", password: String = "correct-horse") throws -> (Int, String?, String) {
            let run = try SIPpRun.agentCall("agent-call-refused.xml", daemon: daemon, user: user, password: password, dest: dest).run()
            #expect(run.successfulCalls == 1, "\(run.output.suffix(1500))\n\(daemon.log().suffix(2000))")
            let final = try #require(tracedMessages(run.messages, startingWith: "SIP/2.0 ", received: true)
                .last { !$0.hasPrefix("SIP/2.0 100") })
            let status = Int(final.split(separator: " ")[1]) ?? 0
            return (status, header("Reason", in: final), final)
        }
        let notE164 = try refused("12ab34")
        #expect(notE164.0 == 403)
        #expect(notE164.1 == "SIP;cause=403;text=\"destination is not a valid E.164 number\"")
        let abroad = try refused("+442079460958")
        #expect(abroad.0 == 403)
        #expect(abroad.1 == "SIP;cause=403;text=\"destination country not allowed for this account\"")
        let premium = try refused("+19002530000")
        #expect(premium.0 == 403)
        #expect(premium.1 == "SIP;cause=403;text=\"premium-rate or high-cost destination not allowed\"")
        let satellite = try refused("+881631000000")
        #expect(satellite.0 == 403)
        #expect(satellite.1?.contains("premium-rate or high-cost") == true)

        // Wrong password and unknown user: the same 403, no Reason that tells them apart.
        let wrong = try refused(Self.destination, password: "wrong-horse")
        let unknown = try refused(Self.destination, user: "mallory", password: "wrong-horse")
        #expect(wrong.0 == 403 && unknown.0 == 403)
        #expect(wrong.1 == nil && unknown.1 == nil)
        func shape(_ message: String) -> [String] {
            message.split(separator: "\n").compactMap { $0.split(separator: ":", maxSplits: 1).first.map(String.init) }
                .filter { !$0.hasPrefix("SIP/2.0") && !$0.isEmpty && !$0.hasPrefix(" ") }
        }
        #expect(shape(wrong.2) == shape(unknown.2))
        #expect(wrong.2.split(separator: "\n").first == unknown.2.split(separator: "\n").first)
        #expect(!daemon.log().contains("wrong-horse"))

        // One call at a time for alice: a second while the first talks gets 503.
        let held = try SIPpRun.agentCall(daemon: daemon, user: "alice", password: "correct-horse", dest: Self.destination,
                                         talkMs: 6000).start()
        defer { held.stop() }
        let deadline = Date().addingTimeInterval(15)
        while tracedMessages(trunk.currentMessages(), startingWith: "INVITE ", received: true).isEmpty, Date() < deadline {
            usleep(100_000)
        }
        let second = try refused(Self.destination)
        #expect(second.0 == 503)
        #expect(second.1 == "SIP;cause=503;text=\"agent has 1 calls in progress (limit 1)\"")
        #expect(try held.wait(timeout: 30).successfulCalls == 1)

        // Nothing refused reached the trunk: it saw the held call only.
        let trunkRun = try trunk.wait(timeout: 30)
        #expect(tracedMessages(trunkRun.messages, startingWith: "INVITE ", received: true).count == 1)
        let (_, m) = try httpGet(port: metrics)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-destination\"}") == 1, "\(m)")
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-country\"}") == 1)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-premium\"}") == 2)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-authentication\"}") == 2)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-concurrency\"}") == 1)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"answered\"}") == 1)
    }

    @Test func theDailySpendLimitStopsTheNextCallAndAnUnpricedAccountIsNeverDialled() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 90).start()
        defer { trunk.stop() }
        // 2 ¢ a day: one call billed at pay-as-you-go's 60 s minimum (3 ¢) uses it up.
        let plan = try Self.plan(outbound: "outbound: { daily-spend-limit: 2 }\n")
        defer { plan.remove() }
        let metrics = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: Self.config(db, metrics: metrics, trunkPort: trunk.port,
                                                                extra: "access-refresh: 1s\n"),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: Self.agentNumber, config: daemon.configURL.path)
        try waitForAgents(metrics, count: 1)

        func attempt(_ scenario: String) throws -> SIPpRun.Result {
            try SIPpRun.agentCall(scenario, daemon: daemon, user: "alice", password: "correct-horse", dest: Self.destination).run()
        }
        func finalReason(_ run: SIPpRun.Result) -> String? {
            tracedMessages(run.messages, startingWith: "SIP/2.0 4", received: true).last.flatMap { header("Reason", in: $0) }
        }
        // No billing account yet: nothing prices the call, so it is not dialled.
        let unpriced = try attempt("agent-call-refused.xml")
        #expect(finalReason(unpriced) == "SIP;cause=403;text=\"spend limit cannot be checked (no billing plan)\"",
                "\(unpriced.messages.suffix(1500))")

        let billing = try Billing(connectionString: db.url)
        var account = NewAccount(name: "test-account", timezone: "America/Chicago", plan: "pay-as-you-go")
        account.start = Date().addingTimeInterval(-86_400)
        try billing.createAccount(account)
        usleep(2_500_000)  // the access cache's next refresh (every second here) sees the plan
        let first = try attempt("agent-call.xml")
        #expect(first.successfulCalls == 1, "\(first.output.suffix(1500))\n\(daemon.log().suffix(2000))")
        #expect(try db.waitFor("SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL", toBe: "2"))
        usleep(2_500_000)
        let second = try attempt("agent-call-refused.xml")
        #expect(finalReason(second) == "SIP;cause=403;text=\"daily spend limit reached\"", "\(second.messages.suffix(1500))")
        #expect(tracedMessages(try trunk.wait(timeout: 30).messages, startingWith: "INVITE ", received: true).count == 1)
        let (_, m) = try httpGet(port: metrics)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"refused-spend\"}") == 2, "\(m)")
    }

}

extension SIPpRun {
    /// An agent's phone placing a call to `dest` (digest with `password` after the 407).
    static func agentCall(_ scenario: String = "agent-call.xml", daemon: DaemonProcess, user: String, password: String,
                          dest: String, privacy: String = "none", talkMs: Int = 1200) -> SIPpRun {
        var run = SIPpRun(scenario: scenarioPath(scenario), target: "127.0.0.1:\(daemon.port)", calls: 1, timeoutSeconds: 30)
        run.traceMessages = true
        run.extraArguments += ["-s", user, "-au", user, "-ap", password, "-key", "dest", dest, "-key", "privacy", privacy,
                               "-d", "\(talkMs)"]
        return run
    }
}
