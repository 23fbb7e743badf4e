import CallLegs
import Dialplan
import Foundation
import SIPMessage

/// The caller's INVITE transaction and the outbound legs: ringing, answer, failures,
/// timeouts, CANCEL, and the end of the call.
extension CallStateMachine {
    /// The INVITE passed routing and admission (the driver answered 100): ring the first group.
    mutating func inviteReceived(now: Date) -> [Action] {
        guard case .routing = state else { return [] }
        var actions: [Action] = []
        advance(now: now, into: &actions)
        return actions
    }

    /// A response on a leg's INVITE client transaction (100s included, ignored).
    mutating func legResponse(_ ref: LegRef, _ response: SIPResponse, now: Date) -> [Action] {
        switch response.statusCode {
        case 100: return []
        case 101..<200: return provisional(ref, response, now: now)
        case 200..<300: return success(ref, response, now: now)
        default: return legEnded(ref, status: response.statusCode, now: now)
        }
    }

    /// The leg's INVITE could not be sent at all (target unroutable, send error, or given
    /// up while its host name resolved): it was never recorded, so it counts as a 480 for
    /// §16.7 and nothing else.
    mutating func legNotPlaced(_ ref: LegRef, status: Int = 480, now: Date) -> [Action] {
        guard let leg = legs[ref], leg.isLive || leg.isCancelled else { return [] }
        legs[ref]!.placed = false
        return legEnded(ref, status: status, now: now)
    }

    /// Timer B or a transport error on the leg's INVITE (RFC 3261 §8.1.3.1: as 408/503).
    mutating func legTransportFailed(_ ref: LegRef, status: Int, now: Date) -> [Action] {
        legEnded(ref, status: status, now: now)
    }

    /// The caller's CANCEL (the layer answered it 200). It only counts before our final
    /// response (§9.2); after our 2xx it is ignored and the caller will ACK and BYE.
    mutating func cancelReceived(now: Date) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .routing, .ringing, .earlyMedia: break
        case .answering: actions.append(.closeMedia)  // our 200 was not sent yet
        default: return []
        }
        callerGaveUp(now: now, into: &actions)
        return actions
    }

    /// The caller's ACK for our 2xx to its INVITE: the callee gets its own ACK, with the
    /// caller's body (the answer of a late offer).
    mutating func ackReceived(_ ack: SIPRequest, now: Date) -> [Action] {
        if anchor != nil { return anchoredAck(ack, now: now) }
        guard case .answered(let bridge) = state else { return [] }
        state = .confirmed(bridge)
        legs[bridge.winner]!.acked = true
        return [.cancelTimer(.ackTimeout), .ackLeg(bridge.winner, relaying: ack)]
    }

    mutating func timerFired(_ id: TimerID, now: Date) -> [Action] {
        var actions: [Action] = []
        switch id {
        case .group(let generation):
            if case .anchoredRinging(let anchor, let ringing) = state, ringing.generation == generation {
                cancelLive(now: now, cause: .none, reason: .noAnswer, countFailure: true, into: &actions)
                anchoredAdvance(anchor, now: now, into: &actions)
                return actions
            }
            guard let ringing, ringing.generation == generation else { return [] }
            // The group rang for its whole timeout: give up on every leg still ringing.
            cancelLive(now: now, cause: .none, reason: .noAnswer, countFailure: true, into: &actions)
            advance(now: now, into: &actions, groupTimerFired: true)
        case .ackTimeout:
            if let anchor, !anchor.callerAcked, !isAnswering {
                endAnchored(anchor, reason: .error, now: now, into: &actions)
                return actions
            }
            guard case .answered(let bridge) = state else { return [] }
            endBridged(bridge, reason: .error, now: now, byeCaller: true, byeCallee: true, into: &actions)
        case .maxDuration:
            if let anchor, !isAnswering {
                endAnchored(anchor, reason: .maxDuration, now: now, into: &actions)
                return actions
            }
            guard let bridge else { return [] }
            endBridged(bridge, reason: .maxDuration, now: now, byeCaller: true, byeCallee: true, into: &actions)
        case .cancelGiveUp(let ref):
            // §9.1: no final response 64·T1 after the CANCEL: the transaction is considered
            // cancelled. Recorded as ended when we cancelled it; the driver drops it.
            guard let leg = legs[ref], case .cancelled(let at, let reason) = leg.phase else { return [] }
            legs[ref]!.phase = .ended
            recordEnd(ref, at: at, status: 487, reason: reason, into: &actions)
            actions.append(.abandonLeg(ref))
            settle()
        case .linger(let ref):
            actions.append(.forgetLeg(ref))
        case .menuInput:
            guard case .menu(_, let run) = state else { return [] }
            let generation = run.menu.generation
            return driveMenuTimer(generation: generation, now: now)
        case .queue(let id):
            return queueTimerFired(id, now: now)
        }
        return actions
    }

    /// Ends the call from our side (drain, shutdown, an error in the driver): legs ringing
    /// are cancelled and the caller gets 480; a bridged call gets BYE on both sides.
    mutating func hangUp(reason: LegEvent.EndReason, now: Date) -> [Action] {
        var actions: [Action] = []
        if case .answering = state {
            // Not answered yet: as for a call still ringing, the caller gets 480.
            actions.append(.closeMedia)
            actions.append(.respondToCaller(status: 480, relaying: nil))
            finish(now: now, status: 480, reason: reason, into: &actions)
        } else if let anchor {
            endAnchored(anchor, reason: reason, now: now, into: &actions)
        } else if let bridge {
            endBridged(bridge, reason: reason, now: now, byeCaller: true, byeCallee: true, into: &actions)
        } else if isActive {
            cancelLive(now: now, cause: .none, reason: reason, countFailure: false, into: &actions)
            actions.append(.respondToCaller(status: 480, relaying: nil))
            finish(now: now, status: 480, reason: reason, into: &actions)
        }
        return actions
    }

    // MARK: Steps

    private mutating func provisional(_ ref: LegRef, _ response: SIPResponse, now: Date) -> [Action] {
        guard let leg = legs[ref], leg.isLive else { return [] }
        var actions: [Action] = []
        if leg.phase == .trying {
            legs[ref]!.phase = .ringing
            actions.append(.record(Record(leg: .outbound(ref), kind: .ringing, time: now)))
        }
        guard let ringing, ringing.legs.contains(ref) else { return actions }
        // One leg alone may pass its early media (183 with SDP) through; with several legs
        // the caller hears one 180 and no early media mixing.
        if ringing.legs.count == 1, response.statusCode == 183, !response.body.isEmpty {
            actions.append(.respondToCaller(status: 183, relaying: response))
            markCallerRinging(now: now, into: &actions)
            state = .earlyMedia(ringing, source: ref)
        } else if !callerRinging {
            actions.append(.respondToCaller(status: 180, relaying: nil))
            markCallerRinging(now: now, into: &actions)
        }
        return actions
    }

    private mutating func markCallerRinging(now: Date, into actions: inout [Action]) {
        guard !callerRinging else { return }
        callerRinging = true
        actions.append(.record(Record(leg: .inbound, kind: .ringing, time: now)))
    }

    private mutating func success(_ ref: LegRef, _ response: SIPResponse, now: Date) -> [Action] {
        guard let leg = legs[ref] else { return [] }
        let tag = response.to.tag
        // §13.2.2.4: a retransmission of the 2xx we bridged is ACKed again once we have
        // ACKed it; before that the caller's ACK will produce ours.
        if leg.answerTag == .some(tag) { return leg.acked ? [.resendAck(ref)] : [] }
        if leg.forkTags.contains(tag) { return [.resendDismissedAck(ref, toTag: tag)] }
        switch leg.phase {
        case .cancelled(_, let reason):
            // The 2xx crossed our CANCEL (§9.1: the INVITE completes anyway). The callee did
            // answer: ACK and BYE it, and record it so, answered and ended at once.
            legs[ref]!.phase = .dismissed
            legs[ref]!.forkTags.append(tag)
            var actions: [Action] = [.cancelTimer(.cancelGiveUp(ref)), .ackAndBye(ref, response),
                                     .record(Record(leg: .outbound(ref), kind: .answered, time: now))]
            recordEnd(ref, at: now, status: response.statusCode, reason: reason, into: &actions)
            actions.append(.startTimer(.linger(ref), after: configuration.t1 * 64))
            settle()
            return actions
        case .trying, .ringing:
            if let current = anchoredCurrentLegs(), current.contains(ref) { return anchoredWin(ref, response, now: now) }
            guard let ringing, ringing.legs.contains(ref) else {
                // Live but not of the group ringing: cannot happen (a group moves on only
                // when its legs are done); treat it as a late answer.
                legs[ref]!.phase = .dismissed
                legs[ref]!.forkTags.append(tag)
                var actions: [Action] = [.ackAndBye(ref, response), .record(Record(leg: .outbound(ref), kind: .answered, time: now))]
                recordEnd(ref, at: now, status: response.statusCode, reason: .answeredElsewhere, into: &actions)
                actions.append(.startTimer(.linger(ref), after: configuration.t1 * 64))
                return actions
            }
            return win(ref, response, ringing, now: now)
        case .answered, .dismissed, .ended:
            // Another To tag on a leg that already answered: a forking proxy behind the
            // target (§13.2.2.4). ACK and BYE that dialog; the winner stays bridged and its
            // record stays answered.
            legs[ref]!.forkTags.append(tag)
            return [.ackAndBye(ref, response)]
        }
    }

    private mutating func win(_ ref: LegRef, _ response: SIPResponse, _ ringing: Ringing, now: Date) -> [Action] {
        legs[ref]!.phase = .answered
        legs[ref]!.answerTag = .some(response.to.tag)
        var actions: [Action] = [.cancelTimer(.group(generation: ringing.generation)), .bridgeLeg(ref, response),
                                 .record(Record(leg: .outbound(ref), kind: .answered, time: now))]
        cancelLive(now: now, cause: .completedElsewhere, reason: .answeredElsewhere, countFailure: false, into: &actions)
        actions.append(.respondToCaller(status: 200, relaying: response))
        // Issue 14 item 3: the caller's leg is answered at the same instant as the winner.
        actions.append(.record(Record(leg: .inbound, kind: .answered, time: now)))
        actions.append(.startTimer(.ackTimeout, after: configuration.t1 * 64))
        actions.append(.startTimer(.maxDuration, after: configuration.maxCallDuration))
        state = .answered(Bridge(winner: ref, answeredAt: now))
        return actions
    }

    /// A final non-2xx, or a transport failure, on a leg.
    private mutating func legEnded(_ ref: LegRef, status: Int, now: Date) -> [Action] {
        guard let leg = legs[ref] else { return [] }
        var actions: [Action] = []
        switch leg.phase {
        case .trying, .ringing:
            legs[ref]!.phase = .ended
            if leg.placed {
                recordEnd(ref, at: now, status: status, reason: FinalResponse.endReason(forStatus: status), into: &actions)
            }
            failureStatuses.append(status)
            actions.append(.forgetLeg(ref))
            if let ringing, ringing.legs.contains(ref), !ringing.legs.contains(where: { legs[$0]?.isLive == true }) {
                advance(now: now, into: &actions)
            } else {
                anchoredLegEnded(ref, now: now, into: &actions)
            }
        case .cancelled(let at, let reason):
            // The final response to a cancelled INVITE (487, or whatever it had sent anyway):
            // recorded as ended when we gave up on it.
            legs[ref]!.phase = .ended
            actions.append(.cancelTimer(.cancelGiveUp(ref)))
            recordEnd(ref, at: at, status: status, reason: reason, into: &actions)
            actions.append(.forgetLeg(ref))
            settle()
        case .answered, .dismissed, .ended:
            break  // the INVITE already completed with a 2xx: nothing else can end it
        }
        return actions
    }

    /// Rings the next group of the plan, moving to the next `then:` attempt when the current
    /// one is exhausted, and answers the caller with the best failure when nothing is left.
    mutating func advance(now: Date, into actions: inout [Action], groupTimerFired: Bool = false) {
        var position: Position
        var hadEarlyMedia = false
        switch state {
        case .routing(let p):
            position = p
        case .ringing(let r):
            position = r.position
            if !groupTimerFired { actions.append(.cancelTimer(.group(generation: r.generation))) }
        case .earlyMedia(let r, _):
            position = r.position
            hadEarlyMedia = true
            if !groupTimerFired { actions.append(.cancelTimer(.group(generation: r.generation))) }
        default:
            return
        }
        while position.attempt < attempts.count {
            if position.group == -1, anchors(position.attempt) {
                guard configuration.mediaAvailable else {
                    // IVR and queue need our own RTP: without media the attempt fails over.
                    failureStatuses.append(480)
                    position.attempt += 1
                    continue
                }
                if hadEarlyMedia { actions.append(.newCallerEarlyDialog) }
                state = .answering(Anchor(attempt: position.attempt))
                actions.append(.openCallerMedia)
                return
            }
            position.group += 1
            let groups = attempts[position.attempt].groups
            guard position.group < groups.count else {
                position.attempt += 1
                position.group = -1
                continue
            }
            let group = groups[position.group]
            guard !group.legs.isEmpty else { continue }
            if hadEarlyMedia {
                // The caller must not keep listening to the early media of a leg we gave up:
                // the next group rings in a new early dialog, with ringback.
                actions.append(.newCallerEarlyDialog)
                actions.append(.respondToCaller(status: 180, relaying: nil))
            }
            let generation = nextGeneration()
            let refs = group.legs.flatMap { plan in expansion(of: plan).map { makeLeg(plan, binding: $0) } }
            let timeout = group.legs.map(\.timeout).max() ?? 0
            state = .ringing(Ringing(position: position, generation: generation, legs: refs))
            actions.append(.startTimer(.group(generation: generation), after: .seconds(max(1, timeout))))
            for ref in refs { actions.append(.placeLeg(ref, legs[ref]!.plan, binding: legs[ref]!.binding)) }
            return
        }
        let status = FinalResponse.select(failureStatuses)
        actions.append(.respondToCaller(status: status, relaying: nil))
        finish(now: now, status: status, reason: FinalResponse.endReason(forStatus: status), into: &actions)
    }

    // MARK: Ending

    /// The caller gave up before our final response (CANCEL, or BYE in its early dialog).
    mutating func callerGaveUp(now: Date, into actions: inout [Action]) {
        cancelLive(now: now, cause: .none, reason: .callerCancelled, countFailure: false, into: &actions)
        if let ringing { actions.append(.cancelTimer(.group(generation: ringing.generation))) }
        actions.append(.respondToCaller(status: 487, relaying: nil))
        finish(now: now, status: 487, reason: .callerCancelled, into: &actions)
    }

    /// CANCELs every leg still ringing. Each is recorded when its final response comes (or
    /// 64·T1 later), as what really happened: a 2xx crossing the CANCEL is an answer.
    mutating func cancelLive(now: Date, cause: CancelCause, reason: LegEvent.EndReason, countFailure: Bool,
                             into actions: inout [Action]) {
        for ref in liveLegs {
            legs[ref]!.phase = .cancelled(at: now, reason: reason)
            actions.append(.cancelLeg(ref, cause))
            actions.append(.startTimer(.cancelGiveUp(ref), after: configuration.t1 * 64))
            if countFailure { failureStatuses.append(480) }
        }
    }

    mutating func endBridged(_ bridge: Bridge, reason: LegEvent.EndReason, now: Date, byeCaller: Bool, byeCallee: Bool,
                             into actions: inout [Action]) {
        let winner = bridge.winner
        actions.append(.cancelTimer(.ackTimeout))
        actions.append(.cancelTimer(.maxDuration))
        if byeCaller { actions.append(.byeCaller) }
        if byeCallee {
            // RFC 3261 §15.1.1: a BYE only after the ACK; if the caller never ACKed, ACK the
            // callee's 2xx first so its dialog is confirmed.
            if !legs[winner]!.acked {
                legs[winner]!.acked = true
                actions.append(.ackLeg(winner, relaying: nil))
            }
            actions.append(.byeLeg(winner))
        }
        legs[winner]!.phase = .ended
        recordEnd(winner, at: now, status: 200, reason: reason, into: &actions)
        actions.append(.startTimer(.linger(winner), after: configuration.t1 * 64))
        finish(now: now, status: 200, reason: reason, into: &actions)
    }

    /// The call is over for the caller: its leg's end is recorded; legs still owing a final
    /// response keep the machine in `.ending` until they are done.
    mutating func finish(now: Date, status: Int, reason: LegEvent.EndReason, into actions: inout [Action]) {
        actions.append(.record(Record(leg: .inbound, kind: .ended, time: now, finalStatus: status, endReason: reason)))
        actions.append(.callOver(status: status, reason: reason))
        state = .ending(reason)
        settle()
    }

    /// `.ending` becomes `.ended` once no leg owes a final response.
    mutating func settle() {
        guard case .ending(let reason) = state, !legs.values.contains(where: { $0.isLive || $0.isCancelled }) else { return }
        state = .ended(reason)
    }

    mutating func recordEnd(_ ref: LegRef, at time: Date, status: Int, reason: LegEvent.EndReason,
                                    into actions: inout [Action]) {
        guard let leg = legs[ref], leg.placed, !leg.endRecorded else { return }
        legs[ref]!.endRecorded = true
        actions.append(.record(Record(leg: .outbound(ref), kind: .ended, time: time, finalStatus: status, endReason: reason)))
    }
}
