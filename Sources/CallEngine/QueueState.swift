import Dialplan
import Foundation

/// One queue (an account's queue plan): callers in arrival order and the round-robin
/// memory. Agents' states live in the engine by target, shared by every queue they serve.
final class QueueState {
    let key: String
    let account: String
    let planName: String
    var plan: QueuePlan
    /// The agents as the route names them (target, contact, ring timeout, caller ID).
    var agentLegs: [RouteDecision.Leg]
    var waiting: [UUID] = []
    /// Round-robin: the index after the agent offered last.
    var nextIndex = 0
    var offered = 0
    var answered = 0
    var timedOut = 0
    var abandoned = 0

    init(key: String, account: String, planName: String, plan: QueuePlan, agentLegs: [RouteDecision.Leg]) {
        self.key = key
        self.account = account
        self.planName = planName
        self.plan = plan
        self.agentLegs = agentLegs
    }

    /// Picks the agents to ring for one caller among `free` (indices into `agentLegs`, all
    /// free and not yet tried for this caller), by the queue's strategy.
    func choose(from free: [Int], agents: [String: AgentState], random: () -> Int = { Int.random(in: 0..<Int.max) }) -> [Int] {
        guard !free.isEmpty else { return [] }
        switch plan.strategy {
        case .ringAll:
            return free
        case .linear:
            return [free[0]]
        case .roundRobin:
            let count = agentLegs.count
            for step in 0..<count {
                let index = (nextIndex + step) % count
                if free.contains(index) {
                    nextIndex = (index + 1) % count
                    return [index]
                }
            }
            return [free[0]]
        case .longestIdle:
            return [free.min { a, b in
                (agents[agentLegs[a].target]?.idleSince ?? .zero) < (agents[agentLegs[b].target]?.idleSince ?? .zero)
            }!]
        case .fewestCalls:
            return [free.min { a, b in
                (agents[agentLegs[a].target]?.callsTaken ?? 0) < (agents[agentLegs[b].target]?.callsTaken ?? 0)
            }!]
        case .random:
            return [free[random() % free.count]]
        }
    }
}

/// An agent as the queues see it. Free means not ringing, not on a call, not in wrap-up.
struct AgentState {
    var ringing: UUID?
    var busy: UUID?
    var wrapUpUntil: Duration?
    /// Monotonic time since which the agent is idle (longest-idle orders by it).
    var idleSince: Duration = .zero
    var callsTaken = 0

    func isFree(at now: Duration) -> Bool {
        ringing == nil && busy == nil && (wrapUpUntil.map { now >= $0 } ?? true)
    }

    func state(at now: Duration) -> QueueSnapshot.Agent.State {
        if busy != nil { return .busy }
        if ringing != nil { return .ringing }
        if let until = wrapUpUntil, now < until { return .wrapUp }
        return .idle
    }
}

/// A read-only picture of one queue, for metrics and `switchboard queues`.
public struct QueueSnapshot: Sendable, Equatable {
    public struct Caller: Sendable, Equatable {
        public var callID: UUID
        /// 1-based place in arrival order: what a position announcement would say now.
        public var position: Int
        public var caller: String
        public var waitedSeconds: Double
        /// Agents ringing for this caller now.
        public var ringing: [String]
    }
    public struct Agent: Sendable, Equatable {
        public enum State: String, Sendable { case idle, ringing, busy, wrapUp = "wrap-up" }
        public var target: String
        public var state: State
        public var callsTaken: Int
    }
    public var account: String
    public var plan: String
    public var strategy: String
    public var waiting: [Caller]
    public var agents: [Agent]
    public var offered: Int
    public var answered: Int
    public var timedOut: Int
    public var abandoned: Int
}
