import Dialplan
import Foundation
import Testing
@testable import CallEngine

/// Which agents a queue offers a caller to, per strategy (the engine passes only agents that
/// are free and not yet tried for this caller).
@Suite struct QueueStrategyTests {
    func queue(_ strategy: String) throws -> QueueState {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        account: a
        timezone: UTC
        caller-id: caller
        numbers:
          "+13125550100": { plan: main, source: s }
        plans:
          main:
            queue:
              agents: ["sip:a0@127.0.0.1", "sip:a1@127.0.0.1", "sip:a2@127.0.0.1"]
              strategy: \(strategy)
              max-wait: 1m
        """.write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let table = try #require(DialplanLoader.load(directory: dir.path).table)
        guard case .queue(let plan) = table.accounts["a"]!.plans["main"]!.kind else { throw CancellationError() }
        // The agents as the engine gets them: from the route's groups.
        var legs: [RouteDecision.Leg] = []
        for leg in Router.route(to: "+13125550100", from: nil, at: Date(), table: table).attempts[0].groups.flatMap(\.legs)
        where !legs.contains(where: { $0.target == leg.target }) { legs.append(leg) }
        #expect(legs.map(\.target) == plan.agents.map(\.description))
        return QueueState(key: "a/main", account: "a", planName: "main", plan: plan, agentLegs: legs)
    }

    @Test func ringAllOffersEveryFreeAgent() throws {
        #expect(try queue("ring-all").choose(from: [0, 2], agents: [:]) == [0, 2])
    }

    @Test func linearTakesTheFirstFreeInPlanOrder() throws {
        let q = try queue("linear")
        #expect(q.choose(from: [0, 1, 2], agents: [:]) == [0])
        #expect(q.choose(from: [0, 1, 2], agents: [:]) == [0], "linear has no memory")
        #expect(q.choose(from: [1, 2], agents: [:]) == [1])
    }

    @Test func roundRobinContinuesAfterTheLastOffered() throws {
        let q = try queue("round-robin")
        #expect(q.choose(from: [0, 1, 2], agents: [:]) == [0])
        #expect(q.choose(from: [0, 1, 2], agents: [:]) == [1])
        #expect(q.choose(from: [0, 2], agents: [:]) == [2])
        #expect(q.choose(from: [0, 1, 2], agents: [:]) == [0], "wraps around")
        #expect(q.choose(from: [0, 2], agents: [:]) == [2], "skips a busy agent and remembers it")
    }

    @Test func longestIdleTakesTheEarliestIdleSince() throws {
        let q = try queue("longest-idle")
        var agents: [String: AgentState] = [:]
        agents["sip:a0@127.0.0.1"] = AgentState(idleSince: .seconds(50))
        agents["sip:a1@127.0.0.1"] = AgentState(idleSince: .seconds(10))
        agents["sip:a2@127.0.0.1"] = AgentState(idleSince: .seconds(30))
        #expect(q.choose(from: [0, 1, 2], agents: agents) == [1])
        #expect(q.choose(from: [0, 2], agents: agents) == [2])
    }

    @Test func fewestCallsTakesTheLeastBusyAgent() throws {
        let q = try queue("fewest-calls")
        var agents: [String: AgentState] = [:]
        agents["sip:a0@127.0.0.1"] = AgentState(callsTaken: 4)
        agents["sip:a1@127.0.0.1"] = AgentState(callsTaken: 2)
        agents["sip:a2@127.0.0.1"] = AgentState(callsTaken: 3)
        #expect(q.choose(from: [0, 1, 2], agents: agents) == [1])
    }

    @Test func randomPicksAmongTheFreeAgents() throws {
        let q = try queue("random")
        #expect(q.choose(from: [0, 2], agents: [:], random: { 1 }) == [2])
        #expect(q.choose(from: [0, 2], agents: [:], random: { 4 }) == [0])
        #expect(q.choose(from: [], agents: [:]).isEmpty)
    }

    @Test func agentStateFreeOnlyWhenNotRingingBusyOrInWrapUp() {
        let now = Duration.seconds(100)
        #expect(AgentState().isFree(at: now))
        #expect(!AgentState(ringing: UUID()).isFree(at: now))
        #expect(!AgentState(busy: UUID()).isFree(at: now))
        #expect(!AgentState(wrapUpUntil: .seconds(101)).isFree(at: now))
        #expect(AgentState(wrapUpUntil: .seconds(100)).isFree(at: now))
        #expect(AgentState(wrapUpUntil: .seconds(101)).state(at: now) == .wrapUp)
    }
}
