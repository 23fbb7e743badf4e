import Dialplan
import Foundation
import Logging
import Media
import SIPTransaction

/// Queue plans: callers wait in arrival order with hold music while agents are offered the
/// call by the queue's strategy. An agent ringing, on a call or in wrap-up is not offered
/// another; one that lets it ring for agent-timeout goes back and the next is tried; after
/// max-wait the caller moves on to `then:`. State lives here, on the engine's loop.
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
        callLogger(call).info("caller queued", metadata: ["queue": "\(key)", "position": "\(queue.waiting.count)"])
        playHold(call, queuePlan)
        schedulePositionAnnouncement(call, queuePlan)
        anchor.maxWaitTimer = clock.schedule(after: .seconds(max(1, queuePlan.maxWait))) { [weak self, weak call] in
            guard let self, let call else { return }
            self.queueTimedOut(call)
        }
        dispatchQueue(queue)
    }

    /// Offers waiting callers, head first, to free agents.
    func dispatchQueue(_ queue: QueueState) {
        let now = monotonic()
        for callID in queue.waiting {
            guard let call = calls[callID], let anchor = call.anchor, call.state == .ringing, anchor.stage == .queue else { continue }
            if call.liveLegs.contains(where: { anchor.agentOfLeg[ObjectIdentifier($0)] != nil }) { continue }
            let free = queue.agentLegs.indices.filter {
                (agents[queue.agentLegs[$0].target]?.isFree(at: now) ?? true) && isReachable(queue.agentLegs[$0], account: queue.account)
            }
            if free.isEmpty { break }
            let candidates = free.filter { !anchor.triedAgents.contains(queue.agentLegs[$0].target) }
            if candidates.isEmpty {
                // Every free agent had its chance with this caller: a new round, after a pause
                // so an agent who rejects at once is not hammered.
                if anchor.retryTimer == nil {
                    anchor.retryTimer = clock.schedule(after: .seconds(1)) { [weak self, weak call] in
                        guard let self, let call, let anchor = call.anchor else { return }
                        anchor.retryTimer = nil
                        anchor.triedAgents = []
                        if let key = anchor.queueKey, let queue = self.queues[key] { self.dispatchQueue(queue) }
                    }
                }
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
        anchor.agentTimer?.cancel()
        if call.currentLegs.isEmpty {
            anchor.agentTimer = clock.schedule(after: .milliseconds(100)) { [weak self] in self?.dispatchQueue(queue) }
            return
        }
        anchor.agentTimer = clock.schedule(after: .seconds(max(1, queue.plan.agentTimeout))) { [weak self, weak call] in
            guard let self, let call else { return }
            self.agentTimedOut(call)
        }
    }

    func agentTimedOut(_ call: Call) {
        guard call.state == .ringing, let anchor = call.anchor, anchor.stage == .queue else { return }
        for leg in call.liveLegs {
            callLogger(call).info("agent did not answer", metadata: ["target": "\(leg.target)"])
            cancelLeg(call, leg, reason: nil, endReason: .agentNoAnswer)
        }
        queueLegsEnded(call)
    }

    /// Every agent leg of the caller's offer ended without an answer: the agents go back.
    func queueLegsEnded(_ call: Call) {
        guard let anchor = call.anchor, let key = anchor.queueKey, let queue = queues[key] else { return }
        anchor.agentTimer?.cancel()
        for (target, state) in agents where state.ringing == call.id {
            if !call.liveLegs.contains(where: { anchor.agentOfLeg[ObjectIdentifier($0)] == target }) {
                agents[target]?.ringing = nil
            }
        }
        dispatchQueue(queue)
    }

    /// From `bridgeAnchored`: the caller leaves the waiting line; the agent is busy.
    func anchoredQueueAnswered(_ call: Call, _ leg: OutboundLeg) {
        guard let anchor = call.anchor, let key = anchor.queueKey, let queue = queues[key] else { return }
        anchor.maxWaitTimer?.cancel()
        anchor.agentTimer?.cancel()
        anchor.retryTimer?.cancel()
        anchor.positionTimer?.cancel()
        queue.waiting.removeAll { $0 == call.id }
        queue.answered += 1
        for (target, state) in agents where state.ringing == call.id { agents[target]?.ringing = nil }
        let target = anchor.agentOfLeg[ObjectIdentifier(leg)] ?? leg.target
        agents[target, default: AgentState()].busy = call.id
        agents[target]?.callsTaken += 1
        callLogger(call).info("agent answered", metadata: ["queue": "\(key)", "target": "\(target)"])
        dispatchAllQueues()
    }

    /// Max-wait: the caller leaves the queue and the call fails over to `then:`.
    func queueTimedOut(_ call: Call) {
        guard call.state == .ringing, let anchor = call.anchor, anchor.stage == .queue else { return }
        callLogger(call).info("queue max-wait reached: failing over")
        if let key = anchor.queueKey { queues[key]?.timedOut += 1 }
        for leg in call.liveLegs { cancelLeg(call, leg, reason: nil, endReason: .queueTimeout) }
        anchor.agentTimer?.cancel()
        anchor.retryTimer?.cancel()
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
        anchor.positionTimer?.cancel()
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
