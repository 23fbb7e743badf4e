import Dialplan
import Foundation
import Logging
import Media
import SIPTransaction

/// Queue plans: callers wait in arrival order with hold music while agents are offered the
/// call by the queue's strategy. An agent ringing, on a call or in wrap-up is not offered
/// another; one that lets it ring for agent-timeout goes back and the next is tried; after
/// max-wait the caller moves on to `then:`. Each waiting caller's offers, timers and
/// announcements are its `QueueWaitMachine`, held in its `CallStateMachine`'s `queued` state;
/// the shared state (the line, the agents) lives here, on the engine's loop (loop 0:
/// `SIPService+QueueHome`), and the machine's queue actions are performed on it.
extension CallEngine {
    func queueKey(_ call: Call, _ plan: String) -> String { "\(call.account)/\(plan)" }

    /// `.joinQueue`: the caller takes its place at the end of the line.
    func joinQueue(_ call: Call, plan planName: String, agentLegs legs: [RouteDecision.Leg]) {
        guard case .queue(let queuePlan)? = call.table?.accounts[call.account]?.plans[planName]?.kind else { return }
        let key = queueKey(call, planName)
        let queue = queues[key] ?? QueueState(key: key, account: call.account, planName: planName, plan: queuePlan, agentLegs: legs)
        queue.plan = queuePlan
        queue.agentLegs = legs
        queues[key] = queue
        queue.waiting.append(call.id)
        for leg in legs where agents[leg.target] == nil { agents[leg.target] = AgentState() }
        call.anchor?.queueKey = key
        call.anchor?.queueEnteredAt = monotonic()
        callLogger(call).info("caller queued", metadata: ["queue": "\(key)", "position": "\(queue.waiting.count)"])
    }

    /// The caller's stay in a queue, if it waits in one now.
    func queueStay(_ call: Call) -> CallStateMachine.QueueStay? {
        if case .queued(_, let stay)? = call.machine?.state { stay } else { nil }
    }

    /// Offers waiting callers, head first, to free agents; each caller's machine places the
    /// legs (`queueOffer`). Agents are marked ringing here, at once, so the next caller in
    /// the same pass is offered others.
    func dispatchQueue(_ queue: QueueState) {
        let now = monotonic()
        for callID in queue.waiting {
            guard let call = calls[callID], let machine = call.machine, let stay = queueStay(call), stay.plan == queue.planName,
                  let current = stay.wait.offer else { continue }
            if case .ringing = current { continue }
            if stay.offerLegs.contains(where: { machine.legs[$0]?.isLive == true }) { continue }
            let free = queue.agentLegs.indices.filter {
                (agents[queue.agentLegs[$0].target]?.isFree(at: now) ?? true) && isReachable(queue.agentLegs[$0], account: queue.account)
            }
            if free.isEmpty { break }
            let candidates = free.filter { !stay.tried.contains(queue.agentLegs[$0].target) }
            if candidates.isEmpty {
                // Every free agent had its chance with this caller: a new round after a pause.
                drive(call) { machine, now in machine.everyFreeAgentTried(now: now) }
                continue
            }
            let chosen = queue.choose(from: candidates, agents: agents).map { queue.agentLegs[$0] }
            for leg in chosen { agents[leg.target, default: AgentState()].ringing = call.id }
            queue.offered += 1
            callLogger(call).info("queue offers the call", metadata: ["queue": "\(queue.key)", "agents": "\(chosen.map(\.target))"])
            drive(call) { machine, now in machine.queueOffer(chosen, now: now) }
        }
    }

    /// `.releaseQueueAgents`: agents that rang for this caller and have no live leg left.
    func releaseQueueAgents(_ call: Call) {
        let ringing = Set(call.machine?.liveLegs.compactMap { call.machine?.legs[$0]?.plan.target } ?? [])
        for (target, state) in agents where state.ringing == call.id && !ringing.contains(target) {
            agents[target]?.ringing = nil
        }
    }

    /// `.queueAnswered`: the caller leaves the waiting line; the agent is busy.
    func queueAnswered(_ call: Call, _ ref: CallStateMachine.LegRef) {
        guard let key = call.anchor?.queueKey, let queue = queues[key], let target = call.machine?.legs[ref]?.plan.target else { return }
        queue.waiting.removeAll { $0 == call.id }
        queue.answered += 1
        for (agent, state) in agents where state.ringing == call.id { agents[agent]?.ringing = nil }
        agents[target, default: AgentState()].busy = call.id
        agents[target]?.callsTaken += 1
        callLogger(call).info("agent answered", metadata: ["queue": "\(key)", "target": "\(target)"])
        dispatchAllQueues()
    }

    /// `.leaveQueue`: out of the line (max-wait, or the call ended: then an agent on it goes
    /// into wrap-up).
    func leaveQueue(_ call: Call, plan: String, _ exit: CallStateMachine.QueueExit) {
        let key = queueKey(call, plan)
        guard let queue = queues[key] else { return }
        let wasWaiting = queue.waiting.contains(call.id)
        queue.waiting.removeAll { $0 == call.id }
        switch exit {
        case .timedOut:
            queue.timedOut += 1
            callLogger(call).info("queue max-wait reached: failing over")
        case .ended:
            if wasWaiting { queue.abandoned += 1 }
        }
        if call.anchor?.queueKey == key { call.anchor?.queueKey = nil }
        let now = monotonic()
        for (target, state) in agents {
            if state.ringing == call.id { agents[target]?.ringing = nil }
            if state.busy == call.id {
                let wrapUp = Duration.seconds(queue.plan.wrapUp)
                agents[target]?.busy = nil
                agents[target]?.wrapUpUntil = now + wrapUp
                agents[target]?.idleSince = now + wrapUp
                if queue.plan.wrapUp > 0 {
                    _ = clock.schedule(after: wrapUp) { [weak self] in self?.dispatchAllQueues() }
                }
            }
        }
        dispatchAllQueues()
    }

    func dispatchAllQueues() {
        for queue in queues.values.sorted(by: { $0.key < $1.key }) where !queue.waiting.isEmpty { dispatchQueue(queue) }
    }

    /// Waiting callers and agents of every queue (call on the engine's event loop).
    public func queueSnapshots() -> [QueueSnapshot] {
        let now = monotonic()
        return queues.values.sorted { $0.key < $1.key }.map { queue in
            QueueSnapshot(
                account: queue.account, plan: queue.planName, strategy: queue.plan.strategy.rawValue,
                waiting: queue.waiting.enumerated().compactMap { index, id in
                    guard let call = calls[id], let anchor = call.anchor, let machine = call.machine else { return nil }
                    let waited = now - anchor.queueEnteredAt
                    return QueueSnapshot.Caller(
                        callID: id, position: index + 1, caller: call.caller,
                        waitedSeconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18,
                        ringing: queueStay(call)?.offerLegs.compactMap { machine.legs[$0].flatMap { $0.isLive ? $0.plan.target : nil } } ?? [])
                },
                agents: queue.agentLegs.map { leg in
                    let state = agents[leg.target] ?? AgentState()
                    return QueueSnapshot.Agent(target: leg.target, state: state.state(at: now), callsTaken: state.callsTaken)
                },
                offered: queue.offered, answered: queue.answered, timedOut: queue.timedOut, abandoned: queue.abandoned)
        }
    }
}
