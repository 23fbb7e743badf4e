import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Queue plans end to end: SIPp agents behind the daemon, SIPp callers answered by the
/// daemon and held until an agent takes the call.
@Suite(.serialized) struct QueueTests {
    func queuePlan(_ strategy: String, agents: [Int], maxWait: String = "30s", agentTimeout: String = "10s",
                   wrapUp: String = "1s", then: String = "", extra: String = "") -> String {
        let list = agents.enumerated().map { "\"sip:agent\($0.offset)@127.0.0.1:\($0.element)\"" }.joined(separator: ", ")
        return """
          main:
            queue:
              agents: [\(list)]
              strategy: \(strategy)
              max-wait: \(maxWait)
              agent-timeout: \(agentTimeout)
              wrap-up: \(wrapUp)
        \(extra)
        \(then)

        """
    }

    /// The agents (SIPp callees), then a daemon with media on the queue plan `plans(ports)`.
    func start(_ agents: [SIPpRun], _ plans: ([Int]) -> String) throws -> CallFixture {
        let call = try CallFixture(callees: agents)
        do {
            try call.startDaemon(plans: plans(call.callees.map(\.port)), config: mediaConfig())
        } catch {
            call.stop()
            throw error
        }
        return call
    }

    func invites(_ r: SIPpRun.Result) -> [String] { tracedMessages(r.messages, startingWith: "INVITE ") }

    @Test func ringAllOffersEveryAgentFirstAnswerWinsOtherIsCancelled() throws {
        let s = try start([
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "500"]),
            .callee("callee-ring-cancelled.xml", calls: 1),
        ]) { queuePlan("ring-all", agents: $0) }
        defer { s.stop() }
        let (a, b) = (s.callees[0], s.callees[1])
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(2500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        let ra = try a.wait(timeout: 20), rb = try b.wait(timeout: 20)
        #expect(ra.successfulCalls == 1 && rb.successfulCalls == 1, "\(ra.output.suffix(800))\n\(rb.output.suffix(800))")
        #expect(invites(ra).first?.contains("s=switchboard") == true, "agents get the daemon's offer")
        #expect(tracedMessages(ra.messages, startingWith: "BYE ").count == 1)
        let cancel = tracedMessages(rb.messages, startingWith: "CANCEL ").first
        #expect(cancel.flatMap { header("Reason", in: $0) } == "SIP;cause=200;text=\"Call completed elsewhere\"")
    }

    @Test func linearTriesTheNextAgentAfterAgentTimeout() throws {
        let s = try start([
            .callee("callee-ring-cancelled.xml", calls: 1),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ]) { queuePlan("linear", agents: $0, agentTimeout: "2s") }
        defer { s.stop() }
        let (a, b) = (s.callees[0], s.callees[1])
        let start = Date()
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(4500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        let ra = try a.wait(timeout: 20), rb = try b.wait(timeout: 20)
        #expect(invites(ra).count == 1 && tracedMessages(ra.messages, startingWith: "CANCEL ").count == 1)
        #expect(rb.successfulCalls == 1, "\(rb.output.suffix(800))")
        #expect(Date().timeIntervalSince(start) > 2)
        #expect(s.daemon.log().contains("reason=agent-no-answer"), "\(s.daemon.log().suffix(3000))")
    }

    /// Two calls one after the other: `expected` is how many each agent gets. Agents are SIPp
    /// callees that take exactly that many calls, so a third INVITE to one fails the caller.
    func sequentialCalls(_ strategy: String, expected: [Int]) throws {
        let s = try start([
            .callee("callee-answer.xml", calls: max(1, expected[0]), keys: ["ring": "100"]),
            .callee("callee-answer.xml", calls: max(1, expected[1]), keys: ["ring": "100"]),
        ]) { queuePlan(strategy, agents: $0, agentTimeout: "3s") }
        defer { s.stop() }
        let (a, b) = (s.callees[0], s.callees[1])
        // One call every 3 s: the first (0.8 s plus 1 s wrap-up) is over when the second comes.
        var run = try AnchoredCaller.run(s.daemon, steps: [.pause(800)], calls: 2)
        run.extraArguments += ["-rp", "3000"]
        let caller = try run.run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        #expect(caller.successfulCalls == 2)
        let ra = expected[0] > 0 ? try a.wait(timeout: 20) : a.stop()
        let rb = expected[1] > 0 ? try b.wait(timeout: 20) : b.stop()
        #expect(invites(ra).count == expected[0], "agent 0: \(invites(ra).count)\n\(s.daemon.log().suffix(3000))")
        #expect((invites(ra) + invites(rb)).allSatisfy { $0.contains("s=switchboard") }, "agents get the daemon's offer")
        #expect(invites(rb).count == expected[1], "agent 1: \(invites(rb).count)")
    }

    @Test func roundRobinRemembersTheLastAgentOffered() throws {
        try sequentialCalls("round-robin", expected: [1, 1])
    }

    @Test func longestIdleOffersTheAgentIdleLongest() throws {
        // After call 1 agent 0 has just become idle; agent 1 has been idle since start.
        try sequentialCalls("longest-idle", expected: [1, 1])
    }

    @Test func fewestCallsOffersTheAgentWithFewestCalls() throws {
        try sequentialCalls("fewest-calls", expected: [1, 1])
    }

    @Test func linearAlwaysStartsWithTheFirstAgent() throws {
        try sequentialCalls("linear", expected: [2, 0])
    }

    @Test func anAgentOnACallIsNotOfferedAnother() throws {
        // Linear would offer agent 0 both calls; the second arrives while it is busy.
        let s = try start([
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ]) { queuePlan("linear", agents: $0) }
        defer { s.stop() }
        let (a, b) = (s.callees[0], s.callees[1])
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(3000)], calls: 2, concurrent: 2).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        #expect(try a.wait(timeout: 20).successfulCalls == 1)
        #expect(try b.wait(timeout: 20).successfulCalls == 1)
    }

    @Test func callerHangingUpLeavesTheQueueAndTheRingingAgentIsCancelled() throws {
        let s = try start([.callee("callee-ring-cancelled.xml", calls: 1)]) { queuePlan("linear", agents: $0, agentTimeout: "20s") }
        defer { s.stop() }
        let a = s.callees[0]
        let start = Date()
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(1000)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))")
        let ra = try a.wait(timeout: 20)
        #expect(tracedMessages(ra.messages, startingWith: "CANCEL ").count == 1)
        #expect(Date().timeIntervalSince(start) < 6, "the agent rang on after the caller left")
        #expect(waitUntil(5) { s.daemon.log().contains("reason=caller-cancelled") })
    }

    @Test func maxWaitSendsTheCallerToThen() throws {
        // The agent, then the overflow target of `then:`.
        let s = try start([
            .callee("callee-ring-cancelled.xml", calls: 1),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ]) { ports in queuePlan("linear", agents: [ports[0]], maxWait: "2s", agentTimeout: "20s", then: """
            then: overflow
          overflow:
            ring-all: { targets: ["sip:overflow@127.0.0.1:\(ports[1])"], timeout: 10s }
        """) }
        defer { s.stop() }
        let (a, overflow) = (s.callees[0], s.callees[1])
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(4500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        let ra = try a.wait(timeout: 20)
        #expect(tracedMessages(ra.messages, startingWith: "CANCEL ").count == 1)
        let ro = try overflow.wait(timeout: 20)
        #expect(ro.successfulCalls == 1, "\(ro.output.suffix(800))")
        #expect(invites(ro).first?.contains("s=switchboard") == true)
        #expect(s.daemon.log().contains("reason=queue-timeout"))
    }

    /// The bridge relays RTP both ways: the caller's packets reach the agent (a SIPp with
    /// -rtp_echo) and its echo comes back to the caller through the daemon.
    @Test func answeredAgentIsBridgedWithRTPRelay() throws {
        let capture = try RTPCapture()
        var agent = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])
        agent.extraArguments += ["-rtp_echo"]
        let s = try start([agent]) { queuePlan("linear", agents: $0) }
        defer { s.stop() }
        let a = s.callees[0]
        let caller = try AnchoredCaller.run(s.daemon, steps: [.pause(3000)], mediaPort: capture.port).start()
        defer { _ = caller.stop() }
        guard let daemonPort = capture.firstSource(deadline: Date().addingTimeInterval(5)) else {
            Issue.record("no RTP from the daemon\n\(s.daemon.log().suffix(2000))")
            return
        }
        #expect(waitUntil(5) { s.daemon.log().contains("bridged with anchored media") })
        let marker = [UInt8](repeating: 0x33, count: 160)
        var echoed = 0
        for i in 0..<60 where echoed == 0 {
            capture.send(to: daemonPort, sequence: UInt16(i), timestamp: UInt32(i * 160), payload: marker)
            echoed += capture.collect(deadline: Date().addingTimeInterval(0.02)) { _ in false }
                .filter { $0.pt == 0 && $0.payload == marker }.count
        }
        #expect(echoed > 0, "the caller's audio did not come back through agent and relay\n\(s.daemon.log().suffix(2000))")
        _ = try caller.wait(timeout: 20)
        #expect(try a.wait(timeout: 20).successfulCalls == 1)
    }

    /// Hold and unhold from the caller on a bridged anchored call are answered by the daemon
    /// (its session changes direction); the agent's dialog sees no re-INVITE.
    @Test func reinviteOnAnAnchoredCallIsAnsweredLocally() throws {
        let s = try start([.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])]) { queuePlan("linear", agents: $0) }
        defer { s.stop() }
        let a = s.callees[0]
        let caller = try AnchoredCaller.run(s.daemon, steps: [
            .pause(1000), .reinvite(direction: "sendonly", expect: "recvonly"), .pause(300),
            .reinvite(direction: "sendrecv", expect: "sendrecv"), .pause(300),
        ]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(s.daemon.log().suffix(3000))")
        #expect(caller.successfulCalls == 1)
        let ra = try a.wait(timeout: 20)
        #expect(ra.successfulCalls == 1, "the agent's call did not end normally: \(ra.output.suffix(800))")
        #expect(invites(ra).count == 1, "a re-INVITE reached the agent")
        #expect(s.daemon.log().contains("re-offer answered locally"))
    }

    /// A bridged call on which no RTP flows is ended at the media timeout with BYE both ways.
    @Test func silentBridgedCallIsEndedAtTheMediaTimeoutBothWays() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])])
        defer { call.stop() }
        let a = call.callees[0]
        let daemon = try call.startDaemon(plans: queuePlan("linear", agents: [a.port]), config: mediaConfig(timeout: "3s"))
        var run = SIPpRun(scenario: try AnchoredCaller.scenarioAwaitingBye(), target: "127.0.0.1:\(daemon.port)",
                          calls: 1, rate: 1, timeoutSeconds: 20)
        run.extraArguments += ["-s", "+13125550100"]
        let start = Date()
        let caller = try run.run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let ra = try a.wait(timeout: 20)
        #expect(ra.successfulCalls == 1, "the agent got no BYE: \(ra.output.suffix(800))")
        #expect(Date().timeIntervalSince(start) < 10)
        let log = daemon.log()
        #expect(log.contains("bridged with anchored media"))
        #expect(log.contains("reason=media-timeout"))
    }

    @Test func holdMusicLoopsToTheWaitingCaller() throws {
        var generator = SystemRandomNumberGenerator()
        let music = (0..<2400).map { _ in UInt8.random(in: 0x10...0x7E, using: &generator) }
        let capture = try RTPCapture()
        let call = try CallFixture(callees: [.callee("callee-ring-cancelled.xml", calls: 1)])
        defer { call.stop() }
        let a = call.callees[0]
        let plan = try call.writeDialplan(plans: queuePlan("linear", agents: [a.port], extra: "      hold-music: prompts/hold.wav"))
        let dir = plan.directory.appendingPathComponent("prompts")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeULawWAV(music, to: dir.appendingPathComponent("hold.wav"))
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(1500)], mediaPort: capture.port).start()
        defer { _ = caller.stop() }
        let packets = capture.collect(deadline: Date().addingTimeInterval(8)) { $0.count >= 50 }
        let audio = packets.filter { $0.pt == 0 }.flatMap(\.payload)
        // 0.3 s of music in 1 s of packets: it played whole, and looped.
        #expect(audio.contains(run: music), "\(daemon.log().suffix(2000))")
        #expect(audio.contains(run: Array(music.suffix(160)) + Array(music.prefix(160))), "hold music did not loop")
        _ = try caller.wait(timeout: 20)
    }
}
