import CallLegs

/// One caller's stay in a queue as a value (issue 12 item 1): offers to agents and their
/// ring timeout, the pause before a new round, max-wait, position announcements between
/// hold music, the answer. Events in, `Action`s out; no clock, no media, no logging. The
/// queue's shared state (`QueueState`: the waiting line, which agent is free, the strategy)
/// stays with the engine, which chooses the agents and tells the machine what it placed.
struct QueueWaitMachine: Equatable, Sendable {
    enum TimerID: Hashable, Sendable {
        /// The queue's `max-wait`: the caller fails over to `then:`.
        case maxWait
        /// The ring timeout of offer `offer` (`agent-timeout`).
        case agent(offer: Int)
        /// Every free agent had its chance: the pause before the next round.
        case retry
        /// No agent could be rung at all: look again shortly.
        case redispatch
        /// The next "you are caller number N".
        case position
    }

    /// What is out toward agents for this caller.
    enum Offer: Equatable, Sendable {
        case none
        /// Agent legs of offer `offer` ring.
        case ringing(offer: Int)
        /// Between rounds (`TimerID.retry`).
        case pausing
    }

    /// What the waiting caller hears.
    enum Hearing: Equatable, Sendable {
        case hold
        case announcement
    }

    enum State: Equatable, Sendable {
        /// Created; `entered` puts the caller in the line.
        case idle
        case waiting(Offer, Hearing)
        /// An agent answered: the caller left the line for the agent.
        case answered
        /// Max-wait: the caller left the line for the plan's `then:`.
        case timedOut
        /// The caller hung up while waiting.
        case abandoned
    }

    enum Action: Equatable, Sendable {
        case playHold
        /// Play the caller's position now; its end comes back as `announcementFinished`.
        case announcePosition
        case startTimer(TimerID, after: Duration)
        case cancelTimer(TimerID)
        /// Offer waiting callers of the queue to free agents (the engine's shared dispatch).
        case dispatch
        /// Forget which agents were tried with this caller: a new round.
        case resetTriedAgents
        /// CANCEL the agent legs still ringing, recorded with `reason`.
        case cancelAgentLegs(LegEvent.EndReason)
        /// Agents that rang this caller and have no live leg left are free again.
        case releaseRingingAgents
        /// Out of the line; the engine fails the call over to the next attempt.
        case failOver
    }

    let maxWait: Duration
    let agentTimeout: Duration
    /// Seconds of hold music between position announcements; nil: none.
    let announceEvery: Duration?
    private(set) var state: State = .idle
    private(set) var offers = 0

    init(maxWait: Duration, agentTimeout: Duration, announceEvery: Duration?) {
        self.maxWait = maxWait
        self.agentTimeout = agentTimeout
        self.announceEvery = announceEvery
    }

    var offer: Offer? { if case .waiting(let offer, _) = state { offer } else { nil } }

    mutating func entered() -> [Action] {
        guard state == .idle else { return [] }
        state = .waiting(.none, .hold)
        var actions: [Action] = [.playHold]
        if let announceEvery { actions.append(.startTimer(.position, after: announceEvery)) }
        actions.append(.startTimer(.maxWait, after: maxWait))
        actions.append(.dispatch)
        return actions
    }

    /// The engine offered the caller to agents and placed `legs` INVITEs (0: none could be
    /// sent, look again shortly).
    /// An agent freed up during the pause between rounds is offered at once (the pause ends).
    mutating func offered(legs: Int) -> [Action] {
        guard case .waiting(let offer, let hearing) = state else { return [] }
        if case .ringing = offer { return [] }
        var actions: [Action] = offer == .pausing ? [.cancelTimer(.retry)] : []
        guard legs > 0 else {
            state = .waiting(.none, hearing)
            return actions + [.startTimer(.redispatch, after: .milliseconds(100))]
        }
        offers += 1
        state = .waiting(.ringing(offer: offers), hearing)
        actions.append(.startTimer(.agent(offer: offers), after: agentTimeout))
        return actions
    }

    /// Free agents exist but each had its chance with this caller: a new round after a pause,
    /// so an agent who rejects at once is not hammered.
    mutating func everyFreeAgentTried() -> [Action] {
        guard case .waiting(.none, let hearing) = state else { return [] }
        state = .waiting(.pausing, hearing)
        return [.startTimer(.retry, after: .seconds(1))]
    }

    /// Every agent leg of the offer ended without an answer (busy, declined, cancelled).
    mutating func agentLegsEnded() -> [Action] {
        guard case .waiting(let offer, let hearing) = state else { return [] }
        var actions: [Action] = []
        if case .ringing(let n) = offer {
            actions.append(.cancelTimer(.agent(offer: n)))
            state = .waiting(.none, hearing)
        }
        return actions + [.releaseRingingAgents, .dispatch]
    }

    mutating func agentAnswered() -> [Action] {
        guard case .waiting(let offer, _) = state else { return [] }
        state = .answered
        return cancelTimers(offer)
    }

    /// The caller hung up while in the line.
    mutating func callerLeft() -> [Action] {
        guard case .waiting(let offer, _) = state else { return [] }
        state = .abandoned
        return cancelTimers(offer)
    }

    mutating func announcementFinished() -> [Action] {
        guard case .waiting(let offer, .announcement) = state else { return [] }
        state = .waiting(offer, .hold)
        return [.playHold] + (announceEvery.map { [.startTimer(.position, after: $0)] } ?? [])
    }

    /// The position sounds were not loaded: keep the music, try again next time.
    mutating func announcementSkipped() -> [Action] {
        guard case .waiting(let offer, .announcement) = state else { return [] }
        state = .waiting(offer, .hold)
        return announceEvery.map { [.startTimer(.position, after: $0)] } ?? []
    }

    mutating func timerFired(_ id: TimerID) -> [Action] {
        guard case .waiting(let offer, let hearing) = state else { return [] }
        switch id {
        case .maxWait:
            state = .timedOut
            return [.cancelAgentLegs(.queueTimeout)] + cancelTimers(offer).filter { $0 != .cancelTimer(.maxWait) } + [.failOver]
        case .agent(let n):
            guard offer == .ringing(offer: n) else { return [] }
            state = .waiting(.none, hearing)
            return [.cancelAgentLegs(.agentNoAnswer), .releaseRingingAgents, .dispatch]
        case .retry:
            guard offer == .pausing else { return [] }
            state = .waiting(.none, hearing)
            return [.resetTriedAgents, .dispatch]
        case .redispatch:
            return offer == .none ? [.dispatch] : []
        case .position:
            guard hearing == .hold else { return [] }
            state = .waiting(offer, .announcement)
            return [.announcePosition]
        }
    }

    private func cancelTimers(_ offer: Offer) -> [Action] {
        var actions: [Action] = [.cancelTimer(.maxWait), .cancelTimer(.redispatch), .cancelTimer(.position)]
        switch offer {
        case .ringing(let n): actions.append(.cancelTimer(.agent(offer: n)))
        case .pausing: actions.append(.cancelTimer(.retry))
        case .none: break
        }
        return actions
    }
}
