import CallLegs
import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

/// The engine as the driver of `CallStateMachine`: it feeds the machine the call's events
/// with the time, performs the actions it returns (building every message from its dialogs),
/// and keeps the tables that find the call again (by transaction, by tag).
extension CallEngine {
    typealias MachineEvent = (inout CallStateMachine, Date) -> [CallStateMachine.Action]

    /// The in-dialog request an event is about, for `answerRequest` and `relayRequest`.
    struct InDialogContext {
        let request: SIPRequest
        let peer: SIPPeer
        let transaction: ServerTransactionID
    }

    /// Every call runs on its `CallStateMachine`, whatever its plan.
    func startMachine(_ call: Call) {
        var machine = CallStateMachine(attempts: call.route.attempts,
                                       configuration: .init(t1: configuration.t1, maxCallDuration: configuration.maxCallDuration,
                                                            mediaAvailable: media != nil))
        machine.anchoredSpecs = anchoredSpecs(call, call.route.attempts)
        if media == nil, !machine.anchoredSpecs.isEmpty {
            callLogger(call).warning("IVR and queue plans need media (no media configured); failing over")
        }
        call.machine = machine
        call.callerTags = [call.inbound.localTag]
        if agentLocator != nil { call.agentNames = CallStateMachine.agentNames(in: call.route.attempts) }
        drive(call) { machine, now in machine.inviteReceived(now: now) }
    }

    /// Fresh menus and queue waits for the IVR and queue plans `attempts` name, from the
    /// call's own table (a reload does not change a call in progress).
    func anchoredSpecs(_ call: Call, _ attempts: [RouteDecision.Attempt]) -> [String: CallStateMachine.AnchoredSpec] {
        let (specs, missing) = Self.anchoredSpecs(for: attempts, plans: call.table?.accounts[call.account]?.plans ?? [:])
        for name in missing { callLogger(call).error("plan not found in the call's table", metadata: ["plan": "\(name)"]) }
        return specs
    }

    static func anchoredSpecs(for attempts: [RouteDecision.Attempt], plans: [String: Plan])
        -> (specs: [String: CallStateMachine.AnchoredSpec], missing: [String]) {
        var specs: [String: CallStateMachine.AnchoredSpec] = [:]
        var missing: [String] = []
        for attempt in attempts {
            for decision in attempt.decisions where PlanKind(keyword: decision.kind)?.anchorsMedia ?? false {
                switch plans[decision.plan]?.kind {
                case .ivr(let ivr):
                    specs[decision.plan] = .menu(IVRMenuMachine(plan: ivr))
                case .queue(let queue):
                    specs[decision.plan] = .queue(QueueWaitMachine(maxWait: .seconds(max(1, queue.maxWait)),
                                                                   agentTimeout: .seconds(max(1, queue.agentTimeout)),
                                                                   announceEvery: queue.announcePosition.map { .seconds($0.every) }))
                default:
                    missing.append(decision.plan)
                }
            }
        }
        return (specs, missing)
    }

    /// `.continueRoute`: the menu's choice resumes the routing walk at that menu
    /// (`RouteContinuation`, the same walk `switchboard route --digits` runs), not from the top.
    private func continueRoute(_ call: Call, attempt: Int, menu: Int, entries: [String]) {
        guard let continuation = call.continuations.first(where: { $0.attempt == attempt && $0.menu == menu }) else {
            callLogger(call).error("no routing continuation for the IVR menu", metadata: ["attempt": "\(attempt)", "menu": "\(menu)"])
            drive(call) { machine, now in machine.hangUp(reason: .error, now: now) }
            return
        }
        let resumed = continuation.resume(entries: entries)
        call.continuations = resumed.continuations
        call.route.attempts = resumed.attempts
        let decision = resumed.attempts.indices.contains(attempt)
            ? resumed.attempts[attempt].decisions.filter { PlanKind(keyword: $0.kind) == .ivr }.dropFirst(menu).first : nil
        callLogger(call).info("IVR choice", metadata: ["plan": "\(decision?.plan ?? "")", "entries": "\(entries)",
                                                       "choice": "\(decision?.choice ?? "")", "reason": "\(decision?.reason ?? "")"])
        let specs = anchoredSpecs(call, resumed.attempts)
        if agentLocator != nil { call.agentNames = CallStateMachine.agentNames(in: resumed.attempts) }
        drive(call) { machine, now in machine.routeContinued(resumed.attempts, specs: specs, now: now) }
    }

    /// Feeds `event` to the call's machine and performs what it returns. An event raised
    /// while performing (a send that fails at once) is queued and fed after.
    func drive(_ call: Call, context: InDialogContext? = nil, _ event: @escaping MachineEvent) {
        call.pendingEvents.append((event, context))
        guard !call.driving else { return }
        call.driving = true
        defer { call.driving = false }
        while !call.pendingEvents.isEmpty {
            let (next, context) = call.pendingEvents.removeFirst()
            guard var machine = call.machine else { return }
            refreshAgentBindings(call, &machine)
            let actions = next(&machine, Date())
            call.machine = machine
            mirror(call, machine)
            for action in actions { perform(action, call, context) }
        }
    }

    /// The registrations of the agents the call's plan names, as the registrar holds them now
    /// (in memory, on this loop): a group rung later rings the bindings of that moment.
    private func refreshAgentBindings(_ call: Call, _ machine: inout CallStateMachine) {
        guard !call.agentNames.isEmpty, let agentLocator else { return }
        for name in call.agentNames {
            machine.agentBindings[name] = agentLocator.contacts(ofAgent: name, account: call.account)
        }
    }

    /// The legacy view of the call the shared code reads (in-dialog relay, edge checks,
    /// `bridgedCallCount`): its state and winner, from the machine's.
    private func mirror(_ call: Call, _ machine: CallStateMachine) {
        switch machine.state {
        case .routing, .ringing, .earlyMedia, .answering, .menu, .openingLegMedia, .queued, .anchoredRinging: call.state = .ringing
        case .answered: call.state = .answered
        case .confirmed, .anchoredBridged: call.state = .confirmed
        case .ending, .ended: call.state = .ended
        }
        if let bridge = machine.bridge { call.winner = call.legsByRef[bridge.winner] }
    }

    private func perform(_ action: CallStateMachine.Action, _ call: Call, _ context: InDialogContext?) {
        switch action {
        case .placeLeg(let ref, let leg, let binding):
            placeLeg(call, ref, leg, binding: binding)
        case .bridgeLeg(let ref, let response):
            guard let leg = call.legsByRef[ref] else { return }
            let dialog = makeCalleeDialog(leg, response)
            leg.dialog = dialog
            call.winner = leg
            callsByLocalTag[dialog.localTag] = call
        case .cancelLeg(let ref, let cause):
            guard let leg = call.legsByRef[ref] else { return }  // still resolving: never sent
            let reason = cause == .completedElsewhere ? "SIP;cause=200;text=\"Call completed elsewhere\"" : nil
            _ = try? layer.cancel(clientTransaction: leg.transaction, reason: reason)
        case .ackLeg(let ref, let relaying):
            guard let leg = call.legsByRef[ref], let dialog = leg.dialog else { return }
            let ack = dialog.makeRequest(.ack, cseq: leg.invite.cSeq.sequence, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport),
                                         body: relaying?.body ?? [], contentType: relaying?.contentType)
            leg.ackSent = ack
            layer.sendAck(ack, to: dialog.peer)
        case .resendAck(let ref):
            guard let leg = call.legsByRef[ref], let ack = leg.ackSent else { return }
            layer.sendAck(ack, to: leg.dialog?.peer ?? leg.peer)
        case .ackAndBye(let ref, let response):
            guard let leg = call.legsByRef[ref] else { return }
            ackAndBye(call, leg, response)
        case .resendDismissedAck(let ref, let tag):
            guard let sent = call.legsByRef[ref]?.dismissedAcks[tag ?? ""] else { return }
            layer.sendAck(sent.ack, to: sent.peer)
        case .respondToCaller(let status, let relaying):
            respondToCaller(call, status: status, response: relaying)
            countCallerAnswer(call, status)
        case .newCallerEarlyDialog:
            let tag = Self.makeTag()
            call.inbound.localTag = tag
            call.inbound.dialog.localTag = tag
            call.callerTags.append(tag)
            callsByLocalTag[tag] = call
        case .byeCaller:
            stop2xxRetransmission(call)
            sendBye(call, toCaller: true, reason: nil)
        case .byeLeg:
            sendBye(call, toCaller: false, reason: nil)
        case .startTimer(let id, let delay):
            call.timers[id]?.cancel()
            call.timers[id] = clock.schedule(after: delay) { [weak self] in
                guard let self else { return }
                call.timers[id] = nil
                switch id {
                case .maxDuration: self.callLogger(call).notice("maximum call duration reached")
                case .ackTimeout: self.callLogger(call).warning("no ACK for our 2xx: ending the call")
                case .menuInput: self.callLogger(call).info("IVR input timeout")
                case .queue(.agent):
                    for ref in call.machine?.liveLegs ?? [] {
                        self.callLogger(call).info("agent did not answer", metadata: ["target": "\(call.legsByRef[ref]?.target ?? "")"])
                    }
                default: break
                }
                self.drive(call) { machine, now in machine.timerFired(id, now: now) }
            }
        case .cancelTimer(let id):
            call.timers.removeValue(forKey: id)?.cancel()
        case .record(let record):
            self.record(record, call)
        case .abandonLeg(let ref):
            guard let leg = call.legsByRef[ref] else { return }
            callLogger(call).notice("no final response 64·T1 after our CANCEL: leg given up", metadata: ["target": "\(leg.target)"])
            layer.abandon(clientTransaction: leg.transaction)
            forget(call, leg)
        case .forgetLeg(let ref):
            guard let leg = call.legsByRef[ref] else { return }
            forget(call, leg)
        case .callOver(let status, let reason):
            callOver(call, status: status, reason: reason)
        case .answerRequest(let status):
            guard let context else { return }
            var response = SIPResponse(to: context.request, statusCode: status)
            // §14.2: a re-INVITE overlapping one not yet answered gets 500 with a random
            // Retry-After (0–10 s), so the two sides do not collide again.
            if status == 500, context.request.method == .invite { response.headers.add("Retry-After", "\(Int.random(in: 0...10))") }
            try? layer.respond(response, on: context.transaction)
        case .relayRequest(let towards):
            guard let context else { return }
            relay(context.request, call: call, towardsCaller: towards == .caller, from: context.peer,
                  serverTransaction: context.transaction)
        case .openCallerMedia:
            openCallerMedia(call)
        case .answerCaller:
            answerCallerWithOurMedia(call)
        case .refuseCaller(let status, let warning):
            refuseCaller(call, status: status, warning: warning)
            countCallerAnswer(call, status)
        case .openLegMedia:
            openLegMedia(call)
        case .play(let playback):
            perform(playback, call)
        case .stopPlayback:
            stopPlayback(call)
        case .connectLegMedia(let ref, let response):
            connectLegMedia(call, ref, response)
        case .acceptCallerAnswer(let ack):
            acceptCallerAnswer(call, ack)
        case .answerOfferLocally(let side):
            guard let context else { return }
            answerOffer(context.request, call: call, fromCaller: side == .caller, from: context.peer, transaction: context.transaction)
        case .closeMedia:
            releaseAnchor(call)
        case .continueRoute(let attempt, let menu, let entries):
            continueRoute(call, attempt: attempt, menu: menu, entries: entries)
        case .joinQueue(let plan, let agents):
            joinQueue(call, plan: plan, agentLegs: agents)
        case .dispatchQueue(let plan):
            if let queue = queues[queueKey(call, plan)] { dispatchQueue(queue) }
        case .releaseQueueAgents:
            releaseQueueAgents(call)
        case .queueAnswered(let ref):
            queueAnswered(call, ref)
        case .announcePosition:
            announcePosition(call)
        case .leaveQueue(let plan, let exit):
            leaveQueue(call, plan: plan, exit)
        }
    }

    private func countCallerAnswer(_ call: Call, _ status: Int) {
        switch status {
        case 200..<300:
            statistics.callsAnswered += 1
            callLogger(call).info("call answered", metadata: ["target": "\(call.winner?.target ?? "")"])
        case 487:
            statistics.callsCancelled += 1
            callLogger(call).info("caller cancelled")
        case 300...:
            statistics.callsFailed += 1
            callLogger(call).info("no leg answered", metadata: ["sip.status": "\(status)"])
        default:
            break
        }
    }

    private func record(_ record: CallStateMachine.Record, _ call: Call) {
        let legID: UUID
        switch record.leg {
        case .inbound: legID = call.inbound.id
        case .outbound(let ref):
            guard let leg = call.legsByRef[ref] else { return }
            legID = leg.id
            if record.kind == .ended { leg.finalStatus = record.finalStatus }
        }
        let detail: LegEvent.Detail
        switch record.kind {
        case .created: return  // the engine emits a leg's creation itself, with its origin
        case .ringing: detail = .ringing
        case .answered: detail = .answered
        case .ended: detail = .ended(status: record.finalStatus, reason: record.endReason ?? .error)
        }
        emit(LegEvent(legID: legID, callID: call.id, at: record.time, detail))
    }

    /// A 2xx we do not bridge: ACK it and BYE it in the dialog it made (§13.2.2.4, §15).
    private func ackAndBye(_ call: Call, _ leg: OutboundLeg, _ response: SIPResponse) {
        var dialog = makeCalleeDialog(leg, response)
        let ack = dialog.makeRequest(.ack, cseq: leg.invite.cSeq.sequence, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
        layer.sendAck(ack, to: dialog.peer)
        leg.dismissedAcks[response.to.tag ?? ""] = (ack, dialog.peer)
        var bye = dialog.makeRequest(.bye, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
        bye.headers.add("Reason", "SIP;cause=200;text=\"Call completed elsewhere\"")
        _ = try? layer.sendRequest(bye, to: dialog.peer)
        callLogger(call).info("answer not bridged: ACK and BYE", metadata: ["target": "\(leg.target)", "sip.to_tag": "\(response.to.tag ?? "")"])
    }

    private func forget(_ call: Call, _ leg: OutboundLeg) {
        if let entry = legsByTransaction[leg.transaction], entry.0 === call { legsByTransaction[leg.transaction] = nil }
    }

    /// The call is over for both parties: out of the live tables (its legs' transactions stay
    /// mapped until the machine says nothing more can come for them).
    private func callOver(_ call: Call, status: Int, reason: LegEvent.EndReason) {
        stop2xxRetransmission(call)
        callLogger(call).info("call ended", metadata: ["sip.status": "\(status)", "reason": "\(reason.name)"])
        calls[call.id] = nil
        callsByInboundTransaction[call.inbound.transaction] = nil
        for tag in call.callerTags where callsByLocalTag[tag] === call { callsByLocalTag[tag] = nil }
        if let tag = call.winner?.dialog?.localTag, callsByLocalTag[tag] === call { callsByLocalTag[tag] = nil }
        admission.release(number: call.trackingNumber)
    }

    // MARK: Placing legs

    /// Builds and sends the INVITE of leg `ref`. Only targets of the plan are ever dialled.
    /// A `binding` (a registered agent's) is dialled as registered: no DNS, its flow, its Path.
    private func placeLeg(_ call: Call, _ ref: CallStateMachine.LegRef, _ leg: RouteDecision.Leg, binding: AgentContact? = nil,
                          resolvedAddress: String? = nil, resolvedPort: Int? = nil) {
        let log = callLogger(call)
        let resolution: TargetResolution
        let resolved: Result<TargetResolution, TargetResolution.Failure> =
            binding.map { .success(TargetResolution(uri: $0.uri, peer: $0.flow, trunk: nil)) }
            ?? TargetResolution.resolve(target: leg.target, contact: leg.contact, configuration: configuration,
                                        resolvedAddress: resolvedAddress, resolvedPort: resolvedPort)
        switch resolved {
        case .success(let r): resolution = r
        case .failure(.unresolvedHost(let host)) where resolver != nil && resolvedAddress == nil:
            let query = TargetResolution.locationQuery(target: leg.target, contact: leg.contact, configuration: configuration)
            resolver?.locate(host, port: query?.port, transport: query?.transport ?? configuration.defaultTransport) {
                [weak self] addresses in
                guard let self else { return }
                // Given up (cancelled, the call ended) while the name resolved: never dialled.
                guard call.machine?.legs[ref]?.isLive == true, let first = addresses.first else {
                    if addresses.isEmpty { log.warning("target host does not resolve", metadata: ["target": "\(leg.target)"]) }
                    self.drive(call) { machine, now in machine.legNotPlaced(ref, now: now) }
                    return
                }
                self.placeLeg(call, ref, leg, resolvedAddress: first.host, resolvedPort: first.port)
            }
            return
        case .failure(let failure):
            log.warning("target cannot be dialled", metadata: ["target": "\(leg.target)", "error": "\(failure)"])
            drive(call) { machine, now in machine.legNotPlaced(ref, now: now) }
            return
        }
        var invite = makeInvite(call, leg: leg, resolution: resolution)
        if let binding { invite.routes = binding.route }
        let transaction: ClientTransactionID
        do {
            transaction = try layer.sendRequest(invite, to: resolution.peer)
        } catch {
            log.warning("leg not sent", metadata: ["target": "\(leg.target)", "error": "\(error)"])
            drive(call) { machine, now in machine.legNotPlaced(ref, now: now) }
            return
        }
        let outbound = OutboundLeg(ref: ref, target: leg.target, invite: invite, peer: resolution.peer, transaction: transaction)
        call.legsByRef[ref] = outbound
        legsByTransaction[transaction] = (call, outbound)
        statistics.legsPlaced += 1
        emit(.created(leg: outbound.id, call: call.id, at: outbound.createdAt, .init(
            account: call.account, trackingNumber: call.trackingNumber, source: call.source, direction: .outbound,
            target: leg.target, sipCallID: invite.callID, callerNumber: call.caller)))
        // The layer may have failed the transaction synchronously (transport error): it told
        // us before the leg was mapped, so check it is still alive.
        if layer.request(of: transaction) == nil {
            legsByTransaction[transaction] = nil
            drive(call) { machine, now in machine.legTransportFailed(ref, status: 503, now: now) }
        }
    }
}

/// What kind of plan a routing decision names (`RouteDecision.Decision.kind` is the dry
/// run's JSON keyword; the engine compares enums, never strings).
enum PlanKind: Equatable {
    case ringAll, sequential, geographic, ivr, queue, schedule

    init?(keyword: String) {
        switch keyword {
        case "ring-all": self = .ringAll
        case "sequential": self = .sequential
        case "geographic": self = .geographic
        case "ivr": self = .ivr
        case "queue": self = .queue
        case "schedule": self = .schedule
        default: return nil
        }
    }

    /// IVR and queue answer the caller with the daemon's own media.
    var anchorsMedia: Bool { self == .ivr || self == .queue }
}

/// What the router decided for a dialled number.
enum RouteOutcome: Equatable {
    case routed, notFound

    init(_ decision: RouteDecision) { self = decision.outcome == "routed" ? .routed : .notFound }
}
