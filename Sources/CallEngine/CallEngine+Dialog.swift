import CallLegs
import Foundation
import Logging
import Media
import SIPMessage
import SIPTransaction

extension CallEngine {
    /// In-dialog methods we answer ourselves and never pass to the other leg: a callee must
    /// not be able to make a carrier's trunk dial a number of its choosing (REFER), nor reach
    /// the other side with messages or subscriptions through us.
    static let answeredInDialog: Set<SIPMethod> = [.refer, .message, .notify, .subscribe, .publish]

    /// An ACK for a 2xx (ours, or a relayed re-INVITE's) in one of our dialogs (Call-ID and
    /// both tags, §12.2.2): stop retransmitting that 2xx, and for the caller's ACK send the
    /// callee its own ACK, with the body (the answer of a late offer).
    public func receiveAck(_ ack: SIPRequest) {
        guard let tag = ack.to.tag, let call = callsByLocalTag[tag], let side = call.side(of: ack) else { return }
        if let pending = call.reinvite2xx[tag], pending.acknowledged(by: ack) {
            pending.stop()
            call.reinvite2xx[tag] = nil
        }
        if side == .caller, ack.cSeq.sequence == call.inbound.invite.cSeq.sequence {
            stopInitial2xx(call, ackedBy: ack)
            drive(call) { machine, now in machine.ackReceived(ack, now: now) }
            return
        }
        if call.machine?.anchor != nil {
            // The ACK for our own 2xx to a re-INVITE we answered (anchored: nothing to relay).
            drive(call) { machine, now in machine.reinviteAcked(from: side == .caller ? .caller : .callee, now: now) }
            return
        }
        guard side == .caller, let winner = call.winner, let dialog = winner.dialog else { return }
        if let pending = call.pendingAckToCallee {
            call.pendingAckToCallee = nil
            let out = dialog.makeRequest(.ack, cseq: pending.cseq, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport),
                                         body: ack.body, contentType: ack.contentType)
            reinviteAcks[pending.transaction]?.ack = out
            layer.sendAck(out, to: dialog.peer)
        }
    }

    /// Stops the initial 2xx's retransmissions when `ack` is its ACK.
    func stopInitial2xx(_ call: Call, ackedBy ack: SIPRequest) {
        guard let pending = call.inbound.pending2xx, pending.acknowledged(by: ack) else { return }
        pending.stop()
        call.inbound.pending2xx = nil
    }

    /// A request inside one of our dialogs: its To tag is ours and its Call-ID and From tag
    /// are that dialog's (§12.2.2). False when it is in none of ours.
    public func receiveInDialog(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) -> Bool {
        guard let tag = request.to.tag, let call = callsByLocalTag[tag], let side = call.side(of: request) else { return false }
        let fromCaller = side == .caller
        if Self.answeredInDialog.contains(request.method) {
            callLogger(call).info("in-dialog request refused, not relayed", metadata: [
                "sip.method": "\(request.method)", "from": "\(fromCaller ? "caller" : "callee")"])
            var response = SIPResponse(to: request, statusCode: 405)
            response.headers.add("Allow", B2BUA.allow)
            try? layer.respond(response, on: transaction)
            return true
        }
        if fromCaller {
            // RFC 3261 §12.2.2: CSeq must grow; an older one is answered 500.
            if let last = call.inbound.dialog.remoteCSeq, request.cSeq.sequence < last {
                try? layer.respond(SIPResponse(to: request, statusCode: 500), on: transaction)
                return true
            }
            call.inbound.dialog.remoteCSeq = request.cSeq.sequence
        } else if let winner = call.winner {
            winner.dialog?.remoteCSeq = request.cSeq.sequence
        }
        // SIP INFO DTMF from the caller of a call we answered: the IVR's key, or, bridged,
        // passed on to the leg as RFC 4733 from our leg session.
        if fromCaller, request.method == .info, let anchor = call.anchor, call.machine?.anchor != nil, let type = request.contentType,
           let digit = SIPInfoDTMF.parse(body: String(bytes: request.body, encoding: .utf8) ?? "", contentType: type) {
            try? layer.respond(SIPResponse(to: request, statusCode: 200), on: transaction)
            if case .anchoredBridged? = call.machine?.state, let b = anchor.legSession { b.sendDTMF(digit) } else { receiveDigit(call, digit) }
            return true
        }
        guard [.bye, .invite, .update, .info, .prack, .options].contains(request.method) else {
            var response = SIPResponse(to: request, statusCode: 501)
            response.headers.add("Allow", B2BUA.allow)
            try? layer.respond(response, on: transaction)
            return true
        }
        if request.method == .bye, let machine = call.machine, machine.isActive {
            callLogger(call).info(fromCaller ? "caller hung up" : "callee hung up", metadata: ["state": "\(machine.stateName)"])
        }
        let context = InDialogContext(request: request, peer: peer, transaction: transaction)
        drive(call, context: context) { machine, now in
            machine.inDialogRequest(request.method, from: fromCaller ? .caller : .callee, withBody: !request.body.isEmpty, now: now)
        }
        return true
    }

    /// Sends `request`'s method and body into the other leg's dialog, with that dialog's own
    /// CSeq, tags, Contact and route set; its response comes back through `relayResponse`.
    func relay(_ request: SIPRequest, call: Call, towardsCaller: Bool, from peer: SIPPeer, serverTransaction: ServerTransactionID) {
        var dialog = towardsCaller ? call.inbound.dialog : call.winner!.dialog!
        var out = dialog.makeRequest(request.method, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport),
                                     body: request.body, contentType: request.contentType)
        for name in ["Reason", "Event", "Subscription-State", "Info-Package", "Session-Expires", "Supported"] {
            for value in request.headers.values(name) { out.headers.add(name, value) }
        }
        if towardsCaller { call.inbound.dialog = dialog } else { call.winner!.dialog = dialog }
        do {
            let transaction = try layer.sendRequest(out, to: dialog.peer)
            relays[transaction] = Relay(call: call, serverTransaction: serverTransaction, towardsCaller: towardsCaller,
                                        method: request.method, requester: peer)
        } catch {
            try? layer.respond(SIPResponse(to: request, statusCode: 500), on: serverTransaction)
        }
    }

    func relayResponse(_ response: SIPResponse, relay: Relay, transaction: ClientTransactionID) {
        guard let original = layer.request(of: relay.serverTransaction) else {
            relays[transaction] = nil
            return
        }
        if response.statusCode == 100 { return }
        let call = relay.call
        let ownTag = relay.towardsCaller ? call.winner?.dialog?.localTag : call.inbound.localTag
        var out = SIPResponse(to: original, statusCode: response.statusCode, reasonPhrase: response.reasonPhrase, toTag: ownTag)
        out.body = response.body
        out.contentType = response.contentType
        if response.statusCode < 300 { out.contacts = [contact(replyingTo: original)] }
        for name in ["Retry-After", "Reason", "Unsupported", "Require", "Session-Expires"] {
            for value in response.headers.values(name) { out.headers.add(name, value) }
        }
        try? layer.respond(out, on: relay.serverTransaction)
        guard response.statusCode >= 200 else { return }
        relays[transaction] = nil
        if call.machine != nil {
            drive(call) { machine, _ in
                machine.relayedRequestCompleted(relay.method, towards: relay.towardsCaller ? .caller : .callee, status: response.statusCode)
            }
        }
        guard (200..<300).contains(response.statusCode) else { return }
        if relay.method == .invite || relay.method == .update {
            // Target refresh (§12.2): the requester's Contact is accepted, the responder's
            // 2xx Contact is its new target; later requests on each leg go there.
            refreshTargets(call, requester: original, response: response, towardsCaller: relay.towardsCaller)
        }
        guard relay.method == .invite, let ownTag else { return }
        // §13.3.1.4: our 2xx to the re-INVITE is retransmitted until the requester's ACK.
        call.reinvite2xx[ownTag]?.stop()
        let destination = TransactionLayer.responseDestination(for: original, receivedFrom: relay.requester)
        call.reinvite2xx[ownTag] = retransmitUntilAcked(out, to: destination, localTag: ownTag) { [weak self, weak call] in
            guard let self, let call else { return }
            call.reinvite2xx[ownTag] = nil
            self.callLogger(call).warning("no ACK for our 2xx to a re-INVITE")
        }
        // The responder's 2xx is ACKed by us, now or when the requester's ACK comes; its
        // retransmissions are ACKed again with the same ACK (§13.2.2.4).
        reinviteAcks[transaction] = ReinviteAck(call: call, towardsCaller: relay.towardsCaller, ack: nil)
        _ = clock.schedule(after: configuration.t1 * 64) { [weak self] in self?.reinviteAcks[transaction] = nil }
        if relay.towardsCaller {
            ackCallerForRelayedReinvite(call, cseq: response.cSeq.sequence, transaction: transaction)
        } else {
            call.pendingAckToCallee = (response.cSeq.sequence, transaction)
        }
    }

    /// A 2xx retransmitted by the peer that answered a relayed re-INVITE: our ACK again.
    func reackRelayedReinvite(_ response: SIPResponse, transaction: ClientTransactionID) -> Bool {
        guard let entry = reinviteAcks[transaction] else { return false }
        guard (200..<300).contains(response.statusCode), let ack = entry.ack else { return true }
        let peer = entry.towardsCaller ? entry.call.inbound.dialog.peer : entry.call.winner?.dialog?.peer
        if let peer { layer.sendAck(ack, to: peer) }
        return true
    }

    func refreshTargets(_ call: Call, requester: SIPRequest, response: SIPResponse, towardsCaller: Bool) {
        if towardsCaller {
            call.winner?.dialog?.refreshTarget(from: requester.contacts)
            call.inbound.dialog.refreshTarget(from: response.contacts)
        } else {
            call.inbound.dialog.refreshTarget(from: requester.contacts)
            call.winner?.dialog?.refreshTarget(from: response.contacts)
        }
    }

    /// A re-INVITE from the callee was answered 2xx by the caller: ACK it in the caller's
    /// dialog now (the callee's own ACK to us carries nothing the caller needs).
    func ackCallerForRelayedReinvite(_ call: Call, cseq: UInt32, transaction: ClientTransactionID) {
        let dialog = call.inbound.dialog
        let ack = dialog.makeRequest(.ack, cseq: cseq, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
        reinviteAcks[transaction]?.ack = ack
        layer.sendAck(ack, to: dialog.peer)
    }

    /// Ends a bridged call from our side: BYE to both legs (max duration, lost ACK, drain).
    public func hangUp(callID: UUID, reason: LegEvent.EndReason) {
        guard let call = calls[callID] else { return }
        hangUp(call, reason: reason)
    }

    func hangUp(_ call: Call, reason: LegEvent.EndReason) {
        drive(call) { machine, now in machine.hangUp(reason: reason, now: now) }
    }

    func sendBye(_ call: Call, toCaller: Bool, reason: String?) {
        if toCaller {
            var dialog = call.inbound.dialog
            let bye = dialog.makeRequest(.bye, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
            call.inbound.dialog = dialog
            _ = try? layer.sendRequest(bye, to: dialog.peer)
        } else if let winner = call.winner, var dialog = winner.dialog {
            // RFC 3261 §15.1.1: a BYE may be sent only after the ACK; if the caller never
            // ACKed, ACK the callee's 2xx first so its dialog is confirmed.
            if winner.ackSent == nil {
                let ack = dialog.makeRequest(.ack, cseq: winner.invite.cSeq.sequence, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
                winner.ackSent = ack
                layer.sendAck(ack, to: dialog.peer)
            }
            let bye = dialog.makeRequest(.bye, via: via(for: dialog.peer), contact: contact(for: dialog.peer.transport))
            winner.dialog = dialog
            _ = try? layer.sendRequest(bye, to: dialog.peer)
        }
    }
}
