import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

extension CallEngine {
    /// Rings the next group of the plan, moving to the next `then:` attempt when the current
    /// one is exhausted, and answers the caller with the best failure when nothing is left.
    func advance(_ call: Call) {
        guard call.state == .ringing else { return }
        call.groupTimer?.cancel()
        call.groupTimer = nil
        while call.attemptIndex < call.route.attempts.count {
            let attempt = call.route.attempts[call.attemptIndex]
            // IVR and queue plans answer the caller with our own media (CallEngine+Anchor).
            switch anchoredStep(call, attempt) {
            case .handled: return
            case .skip:
                call.failureStatuses.append(480)
                call.attemptIndex += 1
                call.groupIndex = -1
                continue
            case .proceed: break
            }
            call.groupIndex += 1
            if call.groupIndex < attempt.groups.count {
                if ring(call, attempt.groups[call.groupIndex]) { return }
                continue  // every leg of the group failed at once (unroutable targets)
            }
            call.attemptIndex += 1
            call.groupIndex = -1
        }
        let status = FinalResponse.select(call.failureStatuses)
        callLogger(call).info("no leg answered", metadata: ["sip.status": "\(status)"])
        statistics.callsFailed += 1
        if call.anchor != nil { anchoredGiveUp(call, status: status); return }
        respondToCaller(call, status: status)
        endCall(call, status: status, reason: FinalResponse.endReason(forStatus: status))
    }

    /// Places every leg of `group` at once. False when none could be placed.
    func ring(_ call: Call, _ group: RouteDecision.LegGroup) -> Bool {
        call.currentLegs = []
        call.groupGeneration += 1
        call.pendingResolutions = 0
        var timeout = 0
        for leg in group.legs {
            timeout = max(timeout, leg.timeout)
            for placed in placeAll(call, leg, groupSize: group.legs.count) {
                call.currentLegs.append(placed)
                call.allLegs.append(placed)
            }
        }
        guard !call.currentLegs.isEmpty || call.pendingResolutions > 0 else { return false }
        call.groupTimer = clock.schedule(after: .seconds(max(1, timeout))) { [weak self, weak call] in
            guard let self, let call else { return }
            self.groupTimedOut(call)
        }
        return true
    }

    /// Builds and sends the INVITE for one leg. Only targets of the plan are ever dialled.
    /// `binding`: a registered agent's contact, dialled as registered (its flow and Path).
    func place(_ call: Call, _ leg: RouteDecision.Leg, groupSize: Int, resolvedAddress: String? = nil,
               resolvedPort: Int? = nil, binding: AgentContact? = nil) -> OutboundLeg? {
        let log = callLogger(call)
        let resolution: TargetResolution
        let resolved: Result<TargetResolution, TargetResolution.Failure>
        if let binding {
            resolved = .success(TargetResolution(uri: binding.uri, peer: binding.flow, trunk: nil))
        } else {
            resolved = TargetResolution.resolve(target: leg.target, contact: leg.contact, configuration: configuration,
                                                resolvedAddress: resolvedAddress, resolvedPort: resolvedPort)
        }
        switch resolved {
        case .success(let r): resolution = r
        case .failure(.unresolvedHost(let host)) where resolver != nil && resolvedAddress == nil:
            resolveThenPlace(call, leg, host: host, groupSize: groupSize)
            return nil
        case .failure(let failure):
            log.warning("target cannot be dialled", metadata: ["target": "\(leg.target)", "error": "\(failure)"])
            call.failureStatuses.append(480)
            return nil
        }
        var invite = makeInvite(call, leg: leg, resolution: resolution)
        if let binding { invite.routes = binding.route }
        let transaction: ClientTransactionID
        do {
            transaction = try layer.sendRequest(invite, to: resolution.peer)
        } catch {
            log.warning("leg not sent", metadata: ["target": "\(leg.target)", "error": "\(error)"])
            call.failureStatuses.append(480)
            return nil
        }
        let outbound = OutboundLeg(target: leg.target, invite: invite, peer: resolution.peer, transaction: transaction)
        legsByTransaction[transaction] = (call, outbound)
        statistics.legsPlaced += 1
        emit(CallLegEvent(legID: outbound.id, callID: call.id, kind: .created, time: outbound.createdAt, account: call.account,
                          trackingNumber: call.trackingNumber, source: call.source, direction: .outbound,
                          target: leg.target, sipCallID: invite.callID, caller: call.caller))
        // The layer may have failed the transaction synchronously (transport error): it told
        // us before we recorded the leg, so check it is still alive.
        if layer.request(of: transaction) == nil, outbound.state == .trying {
            legsByTransaction[transaction] = nil  // dead: no response will come for it
            legFailed(call, outbound, status: 503)
            return nil
        }
        return outbound
    }

    /// Looks the host up off the event loop (RFC 3263: SRV when the URI has no port) and
    /// places the leg when the answer comes back, if its group is still the one ringing.
    func resolveThenPlace(_ call: Call, _ leg: RouteDecision.Leg, host: String, groupSize: Int) {
        let generation = call.groupGeneration
        call.pendingResolutions += 1
        let query = TargetResolution.locationQuery(target: leg.target, contact: leg.contact, configuration: configuration)
        resolver?.locate(host, port: query?.port, transport: query?.transport ?? configuration.defaultTransport) {
            [weak self, weak call] addresses in
            guard let self, let call, call.state == .ringing, call.groupGeneration == generation else { return }
            call.pendingResolutions -= 1
            if let first = addresses.first,
               let placed = self.place(call, leg, groupSize: groupSize, resolvedAddress: first.host, resolvedPort: first.port) {
                call.currentLegs.append(placed)
                call.allLegs.append(placed)
            } else if addresses.isEmpty {
                self.callLogger(call).warning("target host does not resolve", metadata: ["target": "\(leg.target)"])
                call.failureStatuses.append(480)
            }
            if call.liveLegs.isEmpty, call.pendingResolutions == 0 { self.advance(call) }
        }
    }

    func makeInvite(_ call: Call, leg: RouteDecision.Leg, resolution: TargetResolution) -> SIPRequest {
        let original = call.inbound.invite
        // The receiving phone sees the caller's number or the tracking number (dialplan
        // `caller-id:`); the router already chose it for this leg.
        let callerID = leg.callerID
        let fromUser = callerID.isEmpty || callerID == "anonymous" ? "anonymous" : callerID
        let fromHost = fromUser == "anonymous" ? "anonymous.invalid" : configuration.advertisedHost
        let from = NameAddress(displayName: original.from.displayName, uri: SIPURI(user: fromUser, host: fromHost),
                               parameters: [("tag", Self.makeTag())])
        let to = NameAddress(uri: resolution.uri)
        var invite = SIPRequest(method: .invite, uri: resolution.uri, vias: [via(for: resolution.peer)], from: from, to: to,
                                callID: configuration.callIDPrefix + UUID().uuidString.lowercased() + "@" + configuration.advertisedHost,
                                cSeq: CSeq(sequence: 1, method: .invite),
                                maxForwards: max(0, min(70, (original.maxForwards ?? 70) - 1)), contacts: [contact],
                                contentType: original.body.isEmpty ? nil : original.contentType, body: original.body)
        if let offer = call.anchor?.legOfferBody {  // anchored: our own offer, not the caller's
            invite.body = offer
            invite.contentType = "application/sdp"
        }
        invite.headers.add("Allow", B2BUA.allow)
        let forwarding = resolution.trunk?.forwarding ?? configuration.directForwarding
        let tracking = SIPURI(user: call.trackingNumber, host: configuration.advertisedHost, parameters: [("user", "phone")])
        switch forwarding {
        case .diversion:
            // RFC 5806: who forwarded the call, so the callee's PBX can show "via tracking number".
            invite.headers.add("Diversion", "<\(tracking)>;reason=unconditional;counter=1")
        case .historyInfo:
            // RFC 7044: the original target, then the forwarded one.
            invite.headers.add("History-Info", "<\(tracking)>;index=1,<\(resolution.uri);cause=302>;index=1.1")
        case .none:
            break
        }
        if fromUser == "anonymous" { invite.headers.add("Privacy", "id") }
        // RFC 8224 (STIR): an intermediate provider passes the carrier's signed caller
        // identity on unchanged, with the Date it signs (US rules, 47 CFR 64.6302).
        for name in ["Identity", "Date"] {
            for value in original.headers.values(name) { invite.headers.add(name, value) }
        }
        if let entry = agentCalls[call.id] { presentAgent(entry.agent, on: &invite, original: original, trunk: resolution.trunk) }
        return invite
    }

    /// The group rang for its whole timeout: give up on every leg still ringing (CANCEL; a
    /// leg that never sent a provisional is abandoned, the layer cancels it if it ever does).
    func groupTimedOut(_ call: Call) {
        guard call.state == .ringing else { return }
        call.groupTimer = nil
        for leg in call.liveLegs {
            callLogger(call).info("leg rang too long", metadata: ["target": "\(leg.target)"])
            cancelLeg(call, leg, reason: nil, endReason: .noAnswer)
            call.failureStatuses.append(480)
        }
        advance(call)
    }

    /// CANCELs a leg (RFC 3261 §9.1). Its end is recorded when its final response comes, as
    /// what really happened (a 487: ended when we cancelled; a 2xx crossing the CANCEL:
    /// answered, then ACKed and BYEd by us), or 64·T1 later if nothing comes, when its
    /// transaction is destroyed (§9.1, §16.8).
    func cancelLeg(_ call: Call, _ leg: OutboundLeg, reason: String?, endReason: CallLegEvent.EndReason) {
        guard leg.isLive else { return }
        _ = try? layer.cancel(clientTransaction: leg.transaction, reason: reason)
        leg.finalStatus = 487
        leg.state = .abandoned
        leg.pendingEnd = (Date(), endReason)
        leg.giveUpTimer = clock.schedule(after: configuration.t1 * 64) { [weak self] in
            guard let self, let pending = leg.pendingEnd else { return }
            self.callLogger(call).notice("no final response 64·T1 after our CANCEL: leg given up", metadata: ["target": "\(leg.target)"])
            self.recordCancelledEnd(call, leg, status: 487, at: pending.at)
            self.layer.abandon(clientTransaction: leg.transaction)
            if let entry = self.legsByTransaction[leg.transaction], entry.0 === call { self.legsByTransaction[leg.transaction] = nil }
        }
    }

    /// The end of a leg we cancelled, recorded once.
    func recordCancelledEnd(_ call: Call, _ leg: OutboundLeg, status: Int, at time: Date) {
        guard let pending = leg.pendingEnd else { return }
        leg.pendingEnd = nil
        leg.giveUpTimer?.cancel()
        leg.giveUpTimer = nil
        leg.finalStatus = status
        emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .ended, time: time, finalStatus: status, endReason: pending.reason))
    }

    func legFailed(_ call: Call, _ leg: OutboundLeg, status: Int) {
        leg.state = .failed
        leg.finalStatus = status
        emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .ended, time: Date(), finalStatus: status,
                          endReason: FinalResponse.endReason(forStatus: status)))
        call.failureStatuses.append(status)
        if call.state == .ringing, call.liveLegs.isEmpty, call.pendingResolutions == 0,
           call.currentLegs.contains(where: { $0 === leg }) {
            advance(call)
        }
    }
}
