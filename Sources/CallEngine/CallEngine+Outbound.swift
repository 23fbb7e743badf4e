import Foundation
import Logging
import SIPMessage
import SIPTransaction

extension CallEngine {
    /// A response on a client transaction: an outbound INVITE, or a relayed in-dialog request.
    /// Returns false when the transaction is not the engine's.
    @discardableResult
    public func receiveResponse(_ response: SIPResponse, transaction: ClientTransactionID) -> Bool {
        if let relay = relays[transaction] {
            relayResponse(response, relay: relay, transaction: transaction)
            return true
        }
        if reackRelayedReinvite(response, transaction: transaction) { return true }
        guard let (call, leg) = legsByTransaction[transaction] else { return false }
        if call.machine != nil, let ref = leg.ref {
            drive(call) { machine, now in machine.legResponse(ref, response, now: now) }
            return true
        }
        switch response.statusCode {
        case 100:
            break
        case 101..<200:
            provisional(call, leg, response)
        case 200..<300:
            answered(call, leg, response)
        default:
            legsByTransaction[transaction] = nil
            if leg.isLive { legFailed(call, leg, status: response.statusCode) }
            if let pending = leg.pendingEnd { recordCancelledEnd(call, leg, status: response.statusCode, at: pending.at) }
        }
        return true
    }

    /// Timer B/F or a transport error on an engine transaction (RFC 3261 §8.1.3.1: as 408/503).
    @discardableResult
    public func clientTransactionFailed(_ transaction: ClientTransactionID, reason: TransactionFailure) -> Bool {
        if let relay = relays.removeValue(forKey: transaction) {
            if relay.call.machine != nil {
                drive(relay.call) { machine, _ in
                    machine.relayedRequestCompleted(relay.method, towards: relay.towardsCaller ? .caller : .callee,
                                                    status: reason.equivalentStatusCode)
                }
            }
            var out = SIPResponse(to: layer.request(of: relay.serverTransaction) ?? relay.call.inbound.invite,
                                  statusCode: reason.equivalentStatusCode)
            out.to.tag = out.to.tag ?? Self.makeTag()
            try? layer.respond(out, on: relay.serverTransaction)
            return true
        }
        if let (call, leg) = legsByTransaction[transaction], call.machine != nil, let ref = leg.ref {
            drive(call) { machine, now in machine.legTransportFailed(ref, status: reason.equivalentStatusCode, now: now) }
            return true
        }
        guard let (call, leg) = legsByTransaction.removeValue(forKey: transaction) else { return false }
        if leg.isLive { legFailed(call, leg, status: reason.equivalentStatusCode) }
        if let pending = leg.pendingEnd { recordCancelledEnd(call, leg, status: reason.equivalentStatusCode, at: pending.at) }
        return true
    }

    func provisional(_ call: Call, _ leg: OutboundLeg, _ response: SIPResponse) {
        guard leg.state == .trying || leg.state == .ringing else { return }
        if leg.state == .trying {
            leg.state = .ringing
            emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .ringing, time: Date()))
        }
        guard call.state == .ringing else { return }
        let inbound = call.inbound
        // One leg alone may pass its early media (183 with SDP) through; with several legs
        // the caller hears one 180 and no early media mixing.
        if call.currentLegs.count == 1, response.statusCode == 183, !response.body.isEmpty {
            respondToCaller(call, status: 183, response: response)
            markCallerRinging(call)
        } else if !inbound.sentRinging {
            respondToCaller(call, status: 180)
            markCallerRinging(call)
        }
    }

    private func markCallerRinging(_ call: Call) {
        guard !call.inbound.sentRinging else { return }
        call.inbound.sentRinging = true
        emit(CallLegEvent(legID: call.inbound.id, callID: call.id, kind: .ringing, time: Date()))
    }

    func answered(_ call: Call, _ leg: OutboundLeg, _ response: SIPResponse) {
        // A retransmitted 2xx (the ACK was lost): send the same ACK again (RFC 3261 §13.2.2.4).
        if let ack = leg.ackSent, leg.answerTag == .some(response.to.tag) {
            layer.sendAck(ack, to: leg.dialog?.peer ?? leg.peer)
            return
        }
        if leg.answerTag == .some(response.to.tag) { return }  // retransmission before ACK
        let dialog = makeCalleeDialog(leg, response)
        // A second 2xx after the first (ring-all race), or a 2xx from a leg we gave up on:
        // ACK it and BYE it; it never reaches the caller.
        guard call.state == .ringing, call.winner == nil, leg.isLive || leg.state == .abandoned,
              call.currentLegs.contains(where: { $0 === leg }) else {
            dismissLateAnswer(call, leg, response, dialog)
            return
        }
        leg.state = .answered
        leg.answerTag = .some(response.to.tag)
        leg.dialog = dialog
        leg.finalStatus = response.statusCode
        call.winner = leg
        call.state = .answered
        call.groupTimer?.cancel()
        callsByLocalTag[dialog.localTag] = call
        statistics.callsAnswered += 1
        emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .answered, time: Date()))
        callLogger(call).info("call answered", metadata: ["target": "\(leg.target)"])
        for other in call.liveLegs where other !== leg {
            cancelLeg(call, other, reason: "SIP;cause=200;text=\"Call completed elsewhere\"", endReason: .answeredElsewhere)
        }
        if call.anchor != nil { bridgeAnchored(call, leg, response); return }
        respondToCaller(call, status: 200, response: response)
        emit(CallLegEvent(legID: call.inbound.id, callID: call.id, kind: .answered, time: Date()))
        call.maxDurationTimer = clock.schedule(after: configuration.maxCallDuration) { [weak self, weak call] in
            guard let self, let call else { return }
            self.callLogger(call).notice("maximum call duration reached")
            self.hangUp(call, reason: .maxDuration, status: 200)
        }
    }

    func makeCalleeDialog(_ leg: OutboundLeg, _ response: SIPResponse) -> Dialog {
        let invite = leg.invite
        let remoteTarget = response.contacts.first?.uri ?? invite.uri
        var local = invite.from
        let tag = local.tag ?? Self.makeTag()
        local.tag = nil
        var remote = response.to
        let remoteTag = remote.tag
        remote.tag = nil
        // RFC 3261 §12.1.2: the UAC's route set is the Record-Route of the 2xx, reversed.
        return Dialog(callID: invite.callID, localTag: tag, remoteTag: remoteTag, localURI: local, remoteURI: remote,
                      localCSeq: invite.cSeq.sequence, remoteCSeq: nil, remoteTarget: remoteTarget,
                      routeSet: .uac(recordRoutes: response.recordRoutes), fallbackPeer: leg.peer)
    }

    func dismissLateAnswer(_ call: Call, _ leg: OutboundLeg, _ response: SIPResponse, _ dialog: Dialog) {
        var dialog = dialog
        let ack = dialog.makeRequest(.ack, cseq: leg.invite.cSeq.sequence, via: via(for: dialog.peer), contact: contact)
        layer.sendAck(ack, to: dialog.peer)
        var bye = dialog.makeRequest(.bye, via: via(for: dialog.peer), contact: contact)
        bye.headers.add("Reason", "SIP;cause=200;text=\"Call completed elsewhere\"")
        _ = try? layer.sendRequest(bye, to: dialog.peer)
        guard leg !== call.winner else {
            // Another fork of the winning leg (another To tag): only that dialog is ended;
            // the winner stays bridged and its record answered.
            callLogger(call).info("second answer of the winning leg dismissed with ACK and BYE", metadata: ["target": "\(leg.target)"])
            return
        }
        leg.ackSent = ack
        leg.answerTag = .some(response.to.tag)
        forgetLater(leg.transaction)
        callLogger(call).info("late answer dismissed with ACK and BYE", metadata: ["target": "\(leg.target)"])
        if leg.pendingEnd != nil {
            // It answered after all: recorded so, answered and ended by us at once.
            let now = Date()
            emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .answered, time: now))
            recordCancelledEnd(call, leg, status: response.statusCode, at: now)
        } else if leg.state != .abandoned && leg.state != .ended {
            emit(CallLegEvent(legID: leg.id, callID: call.id, kind: .ended, time: Date(), finalStatus: response.statusCode,
                              endReason: .answeredElsewhere))
        }
        leg.state = .ended
    }
}

extension CallEngine {
    /// Keeps a leg's transaction mapped long enough to re-ACK retransmitted 2xx (the callee
    /// retransmits for 64·T1, RFC 3261 §13.3.1.4), then forgets it.
    func forgetLater(_ transaction: ClientTransactionID) {
        _ = clock.schedule(after: configuration.t1 * 64) { [weak self] in
            self?.legsByTransaction[transaction] = nil
        }
    }
}

