import CallLegs
import Dialplan
import Foundation
import SIPMessage

/// Calls the daemon answers itself (design.md "Call engine rules": IVR and queue answer the
/// caller with our own SDP; whoever answers later is bridged by relaying RTP). The anchored
/// phase is states of the machine: `answering` (the caller's RTP session opens), `menu` (an
/// `IVRMenuMachine` as its data), `openingLegMedia`, `queued` (a `QueueWaitMachine`),
/// `anchoredRinging` (an ordinary plan rings behind ringback) and `anchoredBridged`.
///
/// Within an attempt the walk runs its IVR menus in order, then its queue if it has one,
/// else its ring groups; when the attempt fails the next `then:` runs, still anchored (the
/// caller was answered once and for all). A menu's choice resumes the routing walk at that
/// menu (`continueRoute` / `routeContinued`), never from the top.
extension CallStateMachine {
    /// Where an anchored call stands, and what the caller's dialog owes.
    struct Anchor: Equatable, Sendable {
        /// The attempt running and its ring group (-1 before the first).
        var attempt: Int
        var group = -1
        /// IVR menus of this attempt already decided (the next one to play is this index).
        var menusDone = 0
        /// The queue of this attempt was entered (and left, when the walk goes on).
        var queueDone = false
        /// The queue the caller is in or was answered from (left at the end: the agent's wrap-up).
        var queuePlan: String?
        /// Our 200 carried our offer (the INVITE had none): the ACK carries the answer.
        var lateOffer = false
        var callerAcked = false
        var legMediaOpen = false
        /// Sides whose offer-less re-INVITE we answered with an offer, not yet ACKed: another
        /// offer from that side meanwhile is glare (RFC 3261 §14.2; RFC 3264 §4).
        var offerPendingFrom: Set<Side> = []
        /// What the call ends with when nothing answers (a queue's max-wait).
        var failureReason: LegEvent.EndReason?

        init(attempt: Int) { self.attempt = attempt }
    }

    /// The IVR menu playing: its plan's name (for the prompts) and its logic.
    struct MenuRun: Equatable, Sendable {
        var plan: String
        var menu: IVRMenuMachine
    }

    /// A caller in a queue's line: its wait, the agent legs of the current offer, the agents
    /// tried in this round (by target).
    struct QueueStay: Equatable, Sendable {
        var plan: String
        var wait: QueueWaitMachine
        var offerLegs: [LegRef] = []
        var tried: Set<String> = []
    }

    /// A fresh menu or queue wait for a plan the walk names.
    enum AnchoredSpec: Equatable, Sendable {
        case menu(IVRMenuMachine)
        case queue(QueueWaitMachine)
    }

    /// Our media is opening for the caller, who has no final response yet.
    var isAnswering: Bool { if case .answering = state { true } else { false } }

    var anchoredBridge: Bridge? { if case .anchoredBridged(_, let b) = state { b } else { nil } }

    /// Whether attempt `index` answers the caller with our media (it has an IVR or a queue).
    func anchors(_ index: Int) -> Bool {
        attempts[index].decisions.contains { PlanKind(keyword: $0.kind)?.anchorsMedia ?? false }
    }

    // MARK: Media events

    /// The caller's RTP session is open; `lateOffer`: our 200 carries our offer.
    mutating func callerMediaOpened(lateOffer: Bool, now: Date) -> [Action] {
        guard case .answering(var anchor) = state else { return [] }
        anchor.lateOffer = lateOffer
        var actions: [Action] = [.answerCaller, .record(Record(leg: .inbound, kind: .answered, time: now)),
                                 .startTimer(.ackTimeout, after: configuration.t1 * 64),
                                 .startTimer(.maxDuration, after: configuration.maxCallDuration)]
        anchoredAdvance(anchor, now: now, into: &actions)
        return actions
    }

    /// The caller's offer cannot be answered (488 with a Warning) or no session could open.
    mutating func callerMediaFailed(status: Int, warning: String?, now: Date) -> [Action] {
        guard case .answering = state else { return [] }
        var actions: [Action] = [.refuseCaller(status: status, warning: warning), .closeMedia]
        finish(now: now, status: status, reason: status == 488 ? .rejected : .error, into: &actions)
        return actions
    }

    mutating func legMediaOpened(now: Date) -> [Action] {
        guard case .openingLegMedia(var anchor) = state else { return [] }
        anchor.legMediaOpen = true
        var actions: [Action] = []
        anchoredAdvance(anchor, now: now, into: &actions)
        return actions
    }

    /// No RTP from the caller (or either bridged side) for the media timeout.
    mutating func mediaTimedOut(now: Date) -> [Action] { hangUp(reason: .mediaTimeout, now: now) }

    // MARK: IVR events

    /// A key from RTP (RFC 4733) or SIP INFO.
    mutating func digitReceived(_ key: Character, now: Date) -> [Action] {
        driveMenu(now: now) { $0.digit(key) }
    }

    /// A prompt of menu `plan` played to its end (not stopped); one of a menu already left
    /// is dropped.
    mutating func promptFinished(plan: String, _ prompt: IVRMenuMachine.Prompt, generation: Int, now: Date) -> [Action] {
        guard case .menu(_, let run) = state, run.plan == plan else { return [] }
        return driveMenu(now: now) { $0.promptFinished(prompt, generation: generation) }
    }

    /// The walk resumed at the decided menu: `attempts` replaces the call's, `specs` adds
    /// the menus and queues it names.
    mutating func routeContinued(_ attempts: [RouteDecision.Attempt], specs: [String: AnchoredSpec], now: Date) -> [Action] {
        guard case .menu(var anchor, let run) = state, case .decided = run.menu.state else { return [] }
        anchor.menusDone += 1
        guard attempts.count > anchor.attempt else { return hangUp(reason: .error, now: now) }
        self.attempts = attempts
        anchoredSpecs.merge(specs) { _, new in new }
        var actions: [Action] = []
        anchoredAdvance(anchor, now: now, into: &actions)
        return actions
    }

    private mutating func driveMenu(now: Date, _ event: (inout IVRMenuMachine) -> [IVRMenuMachine.Action]) -> [Action] {
        guard case .menu(let anchor, var run) = state else { return [] }
        let menuActions = event(&run.menu)
        state = .menu(anchor, run)
        var actions: [Action] = []
        for action in menuActions {
            switch action {
            case .play(let prompt, let generation): actions.append(.play(.menuPrompt(plan: run.plan, prompt, generation: generation)))
            case .stopPlayback: actions.append(.stopPlayback)
            case .startInputTimer(_, let delay): actions.append(.startTimer(.menuInput, after: delay))
            case .cancelInputTimer: actions.append(.cancelTimer(.menuInput))
            case .decide(let entries):
                actions.append(.stopPlayback)
                actions.append(.continueRoute(attempt: anchor.attempt, menu: anchor.menusDone, entries: entries))
            }
        }
        return actions
    }

    // MARK: Queue events

    /// The driver's dispatch chose `agents` for this caller (and marked them ringing for it).
    mutating func queueOffer(_ agents: [RouteDecision.Leg], now: Date) -> [Action] {
        guard case .queued(let anchor, var stay) = state else { return [.releaseQueueAgents] }
        if case .waiting(.ringing, _) = stay.wait.state { return [.releaseQueueAgents] }  // an offer is out already
        var refs: [LegRef] = []
        for plan in agents {
            stay.tried.insert(plan.target)
            refs += expansion(of: plan).map { makeLeg(plan, binding: $0) }
        }
        stay.offerLegs = refs
        state = .queued(anchor, stay)
        var actions: [Action] = refs.map { .placeLeg($0, legs[$0]!.plan, binding: legs[$0]!.binding) }
        actions += driveQueue(now: now) { $0.offered(legs: refs.count) }
        return actions
    }

    /// Free agents exist, but each had its chance with this caller this round.
    mutating func everyFreeAgentTried(now: Date) -> [Action] {
        driveQueue(now: now) { $0.everyFreeAgentTried() }
    }

    /// A position announcement ended: played to its end, or skipped (sounds not loaded).
    mutating func announcementEnded(played: Bool, now: Date) -> [Action] {
        driveQueue(now: now) { played ? $0.announcementFinished() : $0.announcementSkipped() }
    }

    private mutating func driveQueue(now: Date, _ event: (inout QueueWaitMachine) -> [QueueWaitMachine.Action]) -> [Action] {
        guard case .queued(var anchor, var stay) = state else { return [] }
        let waitActions = event(&stay.wait)
        state = .queued(anchor, stay)
        var actions: [Action] = []
        for action in waitActions {
            switch action {
            case .playHold: actions.append(.play(.hold(plan: stay.plan)))
            case .announcePosition: actions.append(.announcePosition(plan: stay.plan))
            case .startTimer(let id, let delay): actions.append(.startTimer(.queue(id), after: delay))
            case .cancelTimer(let id): actions.append(.cancelTimer(.queue(id)))
            case .dispatch: actions.append(.dispatchQueue(plan: stay.plan))
            case .resetTriedAgents:
                stay.tried = []
                state = .queued(anchor, stay)
            case .cancelAgentLegs(let reason):
                cancelLive(now: now, cause: .none, reason: reason, countFailure: false, into: &actions)
            case .releaseRingingAgents: actions.append(.releaseQueueAgents)
            case .failOver:
                // Max-wait: out of the line, on to `then:` (still answered by us).
                anchor.failureReason = .queueTimeout
                anchor.queuePlan = nil
                failureStatuses.append(480)
                actions.append(.stopPlayback)
                actions.append(.leaveQueue(plan: stay.plan, .timedOut))
                anchoredAdvance(anchor, now: now, into: &actions)
            }
        }
        return actions
    }

    // MARK: Walking the plan

    /// Runs the anchored call on from `anchor`: the attempt's next menu, its queue, its next
    /// ring group; then the next attempt; with nothing left, the caller gets our BYE.
    mutating func anchoredAdvance(_ anchor: Anchor, now: Date, into actions: inout [Action]) {
        var anchor = anchor
        while anchor.attempt < attempts.count {
            let attempt = attempts[anchor.attempt]
            let menus = attempt.decisions.filter { PlanKind(keyword: $0.kind) == .ivr }
            if anchor.menusDone < menus.count {
                let name = menus[anchor.menusDone].plan
                guard case .menu(let fresh)? = anchoredSpecs[name] else {
                    endAnchored(anchor, reason: .error, now: now, into: &actions)
                    return
                }
                state = .menu(anchor, MenuRun(plan: name, menu: fresh))
                actions += driveMenu(now: now) { $0.start() }
                return
            }
            let queue = attempt.decisions.first { PlanKind(keyword: $0.kind) == .queue }
            let rings = queue.map { _ in !anchor.queueDone } ?? (anchor.group + 1 < attempt.groups.count)
            if rings, !anchor.legMediaOpen {
                // Whatever rings gets our offer from the leg session: open it first.
                actions.append(.openLegMedia)
                state = .openingLegMedia(anchor)
                return
            }
            if let queue, !anchor.queueDone {
                guard case .queue(let wait)? = anchoredSpecs[queue.plan] else {
                    endAnchored(anchor, reason: .error, now: now, into: &actions)
                    return
                }
                anchor.queueDone = true
                anchor.queuePlan = queue.plan
                var agents: [RouteDecision.Leg] = []
                for group in attempt.groups where group.plan == queue.plan {
                    for leg in group.legs where !agents.contains(where: { $0.target == leg.target }) { agents.append(leg) }
                }
                actions.append(.joinQueue(plan: queue.plan, agents: agents))
                state = .queued(anchor, QueueStay(plan: queue.plan, wait: wait))
                actions += driveQueue(now: now) { $0.entered() }
                return
            }
            if queue == nil {
                anchor.group += 1
                if anchor.group < attempt.groups.count {
                    let group = attempt.groups[anchor.group]
                    guard !group.legs.isEmpty else { continue }
                    let generation = nextGeneration()
                    let refs = group.legs.flatMap { plan in expansion(of: plan).map { makeLeg(plan, binding: $0) } }
                    let timeout = group.legs.map(\.timeout).max() ?? 0
                    state = .anchoredRinging(anchor, Ringing(position: Position(attempt: anchor.attempt, group: anchor.group),
                                                             generation: generation, legs: refs))
                    actions.append(.play(.ringback))
                    actions.append(.startTimer(.group(generation: generation), after: .seconds(max(1, timeout))))
                    for ref in refs { actions.append(.placeLeg(ref, legs[ref]!.plan, binding: legs[ref]!.binding)) }
                    return
                }
            }
            anchor.attempt += 1
            anchor.group = -1
            anchor.menusDone = 0
            anchor.queueDone = false
        }
        let status = FinalResponse.select(failureStatuses)
        endAnchored(anchor, reason: anchor.failureReason ?? FinalResponse.endReason(forStatus: status), now: now, into: &actions)
    }

    /// A leg's 2xx while we have the caller: the leg is ACKed at once (the caller's ACK came
    /// or will come for our own 200), its SDP answers our offer and RTP is relayed.
    mutating func anchoredWin(_ ref: LegRef, _ response: SIPResponse, now: Date) -> [Action] {
        guard let anchor else { return [] }
        legs[ref]!.phase = .answered
        legs[ref]!.answerTag = .some(response.to.tag)
        legs[ref]!.acked = true
        var actions: [Action] = [.bridgeLeg(ref, response), .ackLeg(ref, relaying: nil),
                                 .record(Record(leg: .outbound(ref), kind: .answered, time: now))]
        switch state {
        case .anchoredRinging(_, let ringing):
            actions.append(.cancelTimer(.group(generation: ringing.generation)))
        case .queued:
            actions += driveQueue(now: now) { $0.agentAnswered() }
            actions.append(.queueAnswered(ref))
        default:
            break
        }
        cancelLive(now: now, cause: .completedElsewhere, reason: .answeredElsewhere, countFailure: false, into: &actions)
        actions.append(.connectLegMedia(ref, response))
        state = .anchoredBridged(anchor, Bridge(winner: ref, answeredAt: now))
        return actions
    }

    /// Whether `ref` is a leg the anchored call is waiting on now (its group, its offer).
    func anchoredCurrentLegs() -> [LegRef]? {
        switch state {
        case .anchoredRinging(_, let ringing): ringing.legs
        case .queued(_, let stay): stay.offerLegs
        default: nil
        }
    }

    /// A leg of the current group or offer ended without answering: when none is left, the
    /// group gives way to the next (anchored ringing) or the offer's agents go back (queue).
    mutating func anchoredLegEnded(_ ref: LegRef, now: Date, into actions: inout [Action]) {
        guard let current = anchoredCurrentLegs(), current.contains(ref),
              !current.contains(where: { legs[$0]?.isLive == true }) else { return }
        switch state {
        case .anchoredRinging(let anchor, let ringing):
            actions.append(.cancelTimer(.group(generation: ringing.generation)))
            anchoredAdvance(anchor, now: now, into: &actions)
        case .queued:
            actions += driveQueue(now: now) { $0.agentLegsEnded() }
        default:
            break
        }
    }

    // MARK: Ending

    /// Ends an anchored call we answered: timers stopped, legs still ringing cancelled, the
    /// line left, BYE to the caller (unless it hung up) and to the winner (unless it did),
    /// the media closed.
    mutating func endAnchored(_ anchor: Anchor, reason: LegEvent.EndReason, now: Date, byeCaller: Bool = true,
                              byeCallee: Bool = true, legReason: LegEvent.EndReason? = nil, into actions: inout [Action]) {
        actions.append(.cancelTimer(.ackTimeout))
        actions.append(.cancelTimer(.maxDuration))
        switch state {
        case .menu: actions.append(.cancelTimer(.menuInput))
        case .queued: actions += driveQueue(now: now) { $0.callerLeft() }
        case .anchoredRinging(_, let ringing): actions.append(.cancelTimer(.group(generation: ringing.generation)))
        default: break
        }
        cancelLive(now: now, cause: .none, reason: legReason ?? reason, countFailure: false, into: &actions)
        if byeCaller { actions.append(.byeCaller) }
        if case .anchoredBridged(_, let bridge) = state {
            let winner = bridge.winner
            if byeCallee { actions.append(.byeLeg(winner)) }
            legs[winner]!.phase = .ended
            recordEnd(winner, at: now, status: 200, reason: reason, into: &actions)
            actions.append(.startTimer(.linger(winner), after: configuration.t1 * 64))
        }
        if let plan = anchor.queuePlan { actions.append(.leaveQueue(plan: plan, .ended)) }
        actions.append(.closeMedia)
        finish(now: now, status: 200, reason: reason, into: &actions)
    }

    // MARK: In-dialog requests

    /// A request in the caller's dialog (or, bridged, the winner's) of a call we answered.
    /// Offers are answered by us (our sessions: hold and unhold), never relayed.
    mutating func anchoredInDialog(_ method: SIPMethod, from side: Side, withBody: Bool, now: Date) -> [Action] {
        guard let anchor else { return [] }
        let bridged = anchoredBridge
        switch method {
        case .bye:
            var actions: [Action] = [.answerRequest(status: 200)]
            if case .answering = state {
                // Before our 200 (a BYE in an early dialog, §15): as a CANCEL.
                actions.append(.closeMedia)
                callerGaveUp(now: now, into: &actions)
            } else if side == .caller {
                let reason: LegEvent.EndReason = switch state {
                case .anchoredBridged: .completed
                case .menu: .ivrAbandoned
                default: .callerCancelled
                }
                endAnchored(anchor, reason: reason, now: now, byeCaller: false, legReason: .callerCancelled, into: &actions)
            } else if bridged != nil {
                endAnchored(anchor, reason: .completed, now: now, byeCallee: false, into: &actions)
            } else {
                return [.answerRequest(status: 481)]
            }
            return actions
        case _ where Self.offerMethods.contains(method):
            if case .answering = state { return [.answerRequest(status: 491)] }
            guard side == .caller || bridged != nil else { return [.answerRequest(status: 481)] }
            // Our offer to that side (late-offer 200, or an offer-less re-INVITE's 200) is
            // not answered yet: a new offer from it crosses ours (§14.2, RFC 3264 §4).
            if anchor.offerPendingFrom.contains(side) || (side == .caller && anchor.lateOffer && !anchor.callerAcked) {
                return [.answerRequest(status: 491)]
            }
            if method == .invite, !withBody {
                var updated = anchor
                updated.offerPendingFrom.insert(side)
                setAnchor(updated)
            }
            return [.answerOfferLocally(side)]
        case .info:
            return bridged != nil ? [.relayRequest(towards: side.other)] : [.answerRequest(status: 200)]
        case .options:
            return [.answerRequest(status: 200)]
        default:
            return [.answerRequest(status: 501)]
        }
    }

    /// The ACK for our 2xx to an offer-less re-INVITE from `side` (the answer to our offer).
    mutating func reinviteAcked(from side: Side, now: Date) -> [Action] {
        guard var anchor, anchor.offerPendingFrom.contains(side) else { return [] }
        anchor.offerPendingFrom.remove(side)
        setAnchor(anchor)
        return []
    }

    /// The caller's ACK for our own 200.
    mutating func anchoredAck(_ ack: SIPRequest, now: Date) -> [Action] {
        guard var anchor, !anchor.callerAcked else { return [] }
        if case .answering = state { return [] }
        anchor.callerAcked = true
        setAnchor(anchor)
        var actions: [Action] = [.cancelTimer(.ackTimeout)]
        if anchor.lateOffer, !ack.body.isEmpty { actions.append(.acceptCallerAnswer(ack)) }
        return actions
    }

    /// Replaces the anchor of the current anchored state, keeping its per-state data.
    mutating func setAnchor(_ anchor: Anchor) {
        switch state {
        case .answering: state = .answering(anchor)
        case .menu(_, let run): state = .menu(anchor, run)
        case .openingLegMedia: state = .openingLegMedia(anchor)
        case .queued(_, let stay): state = .queued(anchor, stay)
        case .anchoredRinging(_, let ringing): state = .anchoredRinging(anchor, ringing)
        case .anchoredBridged(_, let bridge): state = .anchoredBridged(anchor, bridge)
        default: break
        }
    }
}

extension CallStateMachine {
    /// The menu's input timer fired (the wait after the menu, or between keys).
    mutating func driveMenuTimer(generation: Int, now: Date) -> [Action] {
        driveMenu(now: now) { $0.timerFired(generation: generation) }
    }

    mutating func queueTimerFired(_ id: QueueWaitMachine.TimerID, now: Date) -> [Action] {
        driveQueue(now: now) { $0.timerFired(id) }
    }
}
