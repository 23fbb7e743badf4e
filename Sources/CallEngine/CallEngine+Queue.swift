import Dialplan
import Foundation
import Logging
import Media
import SIPTransaction

/// Queue plans: callers wait in arrival order with hold music while agents are offered the
/// call by the queue's strategy. An agent ringing, on a call or in wrap-up is not offered
/// another; one that lets it ring for agent-timeout goes back and the next is tried; after
/// max-wait the caller moves on to `then:`. Each waiting caller's offers, timers and
/// announcements are its `QueueWaitMachine`; the shared state (the line, the agents) lives
/// here, on the engine's loop (loop 0: `SIPService+QueueHome`).
extension CallEngine {
    func startQueue(_ call: Call, planName: String, attempt: RouteDecision.Attempt) {
        guard let anchor = call.anchor, let plan = call.table?.accounts[call.account]?.plans[planName],
              case .queue(let queuePlan) = plan.kind else {
            callLogger(call).error("queue plan not found in the call's table", metadata: ["plan": "\(planName)"])
            hangUp(call, reason: .error, status: 500)
            return
        }
        var legs: [RouteDecision.Leg] = []
        for group in attempt.groups where group.plan == planName {
            for leg in group.legs where !legs.contains(where: { $0.target == leg.target }) { legs.append(leg) }
        }
        let key = "\(call.account)/\(planName)"
        let queue = queues[key] ?? QueueState(key: key, account: call.account, planName: planName, plan: queuePlan, agentLegs: legs)
        queue.plan = queuePlan
        queue.agentLegs = legs
        queues[key] = queue
        queue.waiting.append(call.id)
        for leg in legs where agents[leg.target] == nil { agents[leg.target] = AgentState() }
        anchor.queueKey = key
        anchor.stage = .queue
        anchor.queueEnteredAt = monotonic()
        anchor.triedAgents = []
        anchor.queueWait = QueueWaitMachine(maxWait: .seconds(max(1, queuePlan.maxWait)),
                                            agentTimeout: .seconds(max(1, queuePlan.agentTimeout)),
                                            announceEvery: queuePlan.announcePosition.map { .seconds($0.every) })
        callLogger(call).info("caller queued", metadata: ["queue": "\(key)", "position": "\(queue.waiting.count)"])
        driveQueueWait(call) { $0.entered() }
    }

    /// Feeds the caller's `QueueWaitMachine` one event and performs its actions.
    func driveQueueWait(_ call: Call, _ event: (inout QueueWaitMachine) -> [QueueWaitMachine.Action]) {
        guard let anchor = call.anchor, var machine = anchor.queueWait else { return }
        let actions = event(&machine)
        anchor.queueWait = machine
        for action in actions {
            let queue = anchor.queueKey.flatMap { queues[$0] }
            switch action {
            case .playHold:
                if let queue { playHold(call, queue.plan) }
            case .announcePosition:
                announcePosition(call)
            case .startTimer(let id, let delay):
                anchor.queueTimers[id]?.cancel()
                anchor.queueTimers[id] = clock.schedule(after: delay) { [weak self, weak call] in
                    guard let self, let call, let anchor = call.anchor else { return }
                    anchor.queueTimers[id] = nil
                    switch id {
                    case .maxWait: self.callLogger(call).info("queue max-wait reached: failing over")
                    case .agent:
                        for leg in call.liveLegs { self.callLogger(call).info("agent did not answer", metadata: ["target": "\(leg.target)"]) }
                    default: break
                    }
                    self.driveQueueWait(call) { $0.timerFired(id) }
                }
            case .cancelTimer(let id):
                anchor.queueTimers.removeValue(forKey: id)?.cancel()
            case .dispatch:
                if let queue { dispatchQueue(queue) }
            case .resetTriedAgents:
                anchor.triedAgents = []
            case .cancelAgentLegs(let reason):
                for leg in call.liveLegs { cancelLeg(call, leg, reason: nil, endReason: reason) }
            case .releaseRingingAgents:
                for (target, state) in agents where state.ringing == call.id {
                    if !call.liveLegs.contains(where: { anchor.agentOfLeg[ObjectIdentifier($0)] == target }) {
                        agents[target]?.ringing = nil
                    }
                }
            case .failOver:
                queueTimedOut(call)
            }
        }
    }

    /// Offers waiting callers, head first, to free agents.
    func dispatchQueue(_ queue: QueueState) {
        let now = monotonic()
        for callID in queue.waiting {
            guard let call = calls[callID], let anchor = call.anchor, call.state == .ringing, anchor.stage == .queue,
                  let current = anchor.queueWait?.offer else { continue }
            if case .ringing = current { continue }
            if call.liveLegs.contains(where: { anchor.agentOfLeg[ObjectIdentifier($0)] != nil }) { continue }
            let free = queue.agentLegs.indices.filter {
                (agents[queue.agentLegs[$0].target]?.isFree(at: now) ?? true) && isReachable(queue.agentLegs[$0], account: queue.account)
            }
            if free.isEmpty { break }
            let candidates = free.filter { !anchor.triedAgents.contains(queue.agentLegs[$0].target) }
            if candidates.isEmpty {
                // Every free agent had its chance with this caller: a new round after a pause.
                driveQueueWait(call) { $0.everyFreeAgentTried() }
                continue
            }
            offer(call, queue, queue.choose(from: candidates, agents: agents))
        }
    }

    private func offer(_ call: Call, _ queue: QueueState, _ indices: [Int]) {
        guard let anchor = call.anchor else { return }
        call.currentLegs = []
        for index in indices {
            let leg = queue.agentLegs[index]
            anchor.triedAgents.insert(leg.target)
            let placed = placeAll(call, leg, groupSize: indices.count)
            for one in placed {
                call.currentLegs.append(one)
                call.allLegs.append(one)
                anchor.agentOfLeg[ObjectIdentifier(one)] = leg.target
            }
            if !placed.isEmpty { agents[leg.target, default: AgentState()].ringing = call.id }
        }
        queue.offered += 1
        callLogger(call).info("queue offers the call", metadata: [
            "queue": "\(queue.key)", "agents": "\(indices.map { queue.agentLegs[$0].target })",
        ])
        let placed = call.currentLegs.count
        driveQueueWait(call) { $0.offered(legs: placed) }
    }

    /// Every agent leg of the caller's offer ended without an answer: the agents go back.
    func queueLegsEnded(_ call: Call) {
        driveQueueWait(call) { $0.agentLegsEnded() }
    }

    /// From `bridgeAnchored`: the caller leaves the waiting line; the agent is busy.
    func anchoredQueueAnswered(_ call: Call, _ leg: OutboundLeg) {
        guard let anchor = call.anchor, let key = anchor.queueKey, let queue = queues[key] else { return }
        driveQueueWait(call) { $0.agentAnswered() }
        queue.waiting.removeAll { $0 == call.id }
        queue.answered += 1
        for (target, state) in agents where state.ringing == call.id { agents[target]?.ringing = nil }
        let target = anchor.agentOfLeg[ObjectIdentifier(leg)] ?? leg.target
        agents[target, default: AgentState()].busy = call.id
        agents[target]?.callsTaken += 1
        callLogger(call).info("agent answered", metadata: ["queue": "\(key)", "target": "\(target)"])
        dispatchAllQueues()
    }

    /// Max-wait (the machine cancelled the agent legs and its timers): the caller leaves the
    /// queue and the call fails over to `then:`.
    private func queueTimedOut(_ call: Call) {
        guard call.state == .ringing, let anchor = call.anchor, anchor.stage == .queue else { return }
        if let key = anchor.queueKey { queues[key]?.timedOut += 1 }
        leaveQueue(call, ended: false)
        anchor.queueKey = nil
        anchor.failureReason = .queueTimeout
        anchor.stage = .ringing
        anchor.playing = nil
        anchor.callerSession?.stopPlayback()
        call.failureStatuses.append(480)
        call.attemptIndex += 1
        call.groupIndex = -1
        advance(call)
    }

    /// The caller leaves the queue (answered calls stay until they end, for the agent's wrap-up).
    func leaveQueue(_ call: Call, ended: Bool) {
        guard let anchor = call.anchor, let key = anchor.queueKey, let queue = queues[key] else { return }
        if ended { driveQueueWait(call) { $0.callerLeft() } }
        let wasWaiting = queue.waiting.contains(call.id)
        queue.waiting.removeAll { $0 == call.id }
        if ended, wasWaiting { queue.abandoned += 1 }
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
                    guard let call = calls[id], let anchor = call.anchor else { return nil }
                    let waited = now - anchor.queueEnteredAt
                    return QueueSnapshot.Caller(
                        callID: id, position: index + 1, caller: call.caller,
                        waitedSeconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18,
                        ringing: call.liveLegs.compactMap { anchor.agentOfLeg[ObjectIdentifier($0)] })
                },
                agents: queue.agentLegs.map { leg in
                    let state = agents[leg.target] ?? AgentState()
                    return QueueSnapshot.Agent(target: leg.target, state: state.state(at: now), callsTaken: state.callsTaken)
                },
                offered: queue.offered, answered: queue.answered, timedOut: queue.timedOut, abandoned: queue.abandoned)
        }
    }
}
