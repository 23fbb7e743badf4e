import Logging
import SIPMessage

extension TransactionLayer.ClientMachine {
    var request: SIPRequest {
        switch self {
        case .invite(let m): return m.request
        case .nonInvite(let m): return m.request
        }
    }

    mutating func start() -> [TransactionAction] {
        step(invite: { $0.start() }, nonInvite: { $0.start() })
    }

    mutating func receivedResponse(_ response: SIPResponse) -> [TransactionAction] {
        step(invite: { $0.receivedResponse(response) }, nonInvite: { $0.receivedResponse(response) })
    }

    mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        step(invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
    }

    mutating func transportFailed() -> [TransactionAction] {
        step(invite: { $0.transportFailed() }, nonInvite: { $0.transportFailed() })
    }

    /// Feed one event to whichever machine this is and store the machine's new value back.
    private mutating func step(invite: (inout ClientInviteTransaction) -> [TransactionAction],
                               nonInvite: (inout ClientNonInviteTransaction) -> [TransactionAction]) -> [TransactionAction] {
        switch self {
        case .invite(var m): let a = invite(&m); self = .invite(m); return a
        case .nonInvite(var m): let a = nonInvite(&m); self = .nonInvite(m); return a
        }
    }
}

extension TransactionLayer {
    // MARK: public client API

    /// Start a client transaction for `request` towards `peer` (RFC 3261 §17.1).
    ///
    /// The request must carry the TU's own top Via; when its branch is missing or lacks the
    /// magic cookie the layer sets a fresh one (`TransactionBranch.make()`). Responses,
    /// timeouts and transport errors come back through the `TransactionUser` with the
    /// returned id. A transport error on the very first send is reported to the TU before
    /// this method returns.
    @discardableResult
    public func sendRequest(_ request: SIPRequest, to peer: SIPPeer) throws(TransactionLayerError) -> ClientTransactionID {
        guard request.method != .ack else { throw .ackHasNoTransaction }
        guard request.method != .cancel else { throw .cancelIsBuiltByTheLayer }
        var request = request
        guard var via = request.vias.first else { throw .missingVia }
        if !via.hasRFC3261Branch {
            via.branch = TransactionBranch.make(using: &rng)
            request.vias[0] = via
        }
        let key = ClientTransactionKey(branch: via.branch!, method: request.method)
        guard clientIndex[key] == nil else { throw .duplicateBranch(key.branch) }
        let id = ClientTransactionID(rawValue: allocateID())
        startClient(id, request: request, key: key, peer: peer)
        return id
    }

    /// Send an ACK for a 2xx (RFC 3261 §13.2.2.4): it is its own transaction-less request.
    public func sendAck(_ ack: SIPRequest, to peer: SIPPeer) {
        do {
            try transport.send(.request(ack), to: peer)
        } catch {
            logger.notice("transport error sending ACK", metadata: ["sip.call_id": "\(ack.callID)", "error": "\(error)"])
        }
    }

    /// Send a response outside any transaction (e.g. a 2xx retransmission after Timer L);
    /// prefer `respond(_:on:)`.
    public func sendStateless(_ message: SIPMessage, to peer: SIPPeer) {
        do {
            try transport.send(message, to: peer)
        } catch {
            logger.notice("transport error sending stateless message", metadata: ["error": "\(error)"])
        }
    }

    /// Cancel the INVITE of `clientTransaction` (RFC 3261 §9.1). The CANCEL (built by
    /// `SIPRequest.makeCancel(reason:)`) is its own client transaction, whose id is returned;
    /// its 200 comes back through `didReceiveResponse`. If no provisional response has
    /// arrived yet, the CANCEL waits and is sent with the first one; if the INVITE gets a
    /// final response (or times out) first, it is never sent. Returns nil when the INVITE
    /// already has a final response (§9.1: the CANCEL SHOULD NOT be sent). Cancelling twice
    /// returns the same id.
    @discardableResult
    public func cancel(clientTransaction: ClientTransactionID, reason: String? = nil) throws(TransactionLayerError) -> ClientTransactionID? {
        guard let record = clients[clientTransaction] else { throw .unknownTransaction }
        guard case .invite(let invite) = record.machine else { throw .notAnInvite }
        if let existing = record.cancel { return existing.id }
        switch invite.state {
        case .calling:
            let id = ClientTransactionID(rawValue: allocateID())
            clients[clientTransaction]!.cancel = (id, reason, false)
            return id
        case .proceeding:
            let id = ClientTransactionID(rawValue: allocateID())
            clients[clientTransaction]!.cancel = (id, reason, true)
            sendCancel(id, for: invite.request, reason: reason, to: record.peer)
            return id
        case .completed, .accepted, .terminated:
            return nil
        }
    }

    /// The transport could not send `message` after all (a TCP connect to `peer` failed after
    /// `TransactionTransport.send` returned): the client transaction that sent it gets the
    /// transport error now (RFC 3261 §17.1.4; the TU treats it as a 503, §8.1.3.1) instead
    /// of waiting for Timer B/F. Anything else (ACKs, responses, a transaction already gone
    /// or already answered) is ignored.
    public func transportFailed(sending message: SIPMessage, to peer: SIPPeer) {
        guard case .request(let request) = message, request.method != .ack,
              let branch = request.topVia?.branch,
              let id = clientIndex[ClientTransactionKey(branch: branch, method: request.method)],
              let record = clients[id], record.peer == peer else { return }
        logger.notice("transport error: request could not be sent", metadata: [
            "sip.call_id": "\(request.callID)", "sip.peer": "\(peer)"])
        let actions = clients[id]!.machine.transportFailed()
        runClient(id, actions)
    }

    /// The TU gives up on a client transaction: an INVITE whose CANCEL got no final response
    /// within 64·T1 is considered cancelled and destroyed (RFC 3261 §9.1). Its timers stop and
    /// a response for it later is stray; the TU is not told (it asked).
    public func abandon(clientTransaction id: ClientTransactionID) {
        removeClient(id)
    }

    /// The request of a live client transaction (with the branch the layer chose).
    public func request(of transaction: ClientTransactionID) -> SIPRequest? {
        clients[transaction]?.machine.request
    }

    // MARK: internals

    func startClient(_ id: ClientTransactionID, request: SIPRequest, key: ClientTransactionKey, peer: SIPPeer) {
        let reliable = peer.transport.isReliable
        let machine: ClientMachine = request.method == .invite
            ? .invite(ClientInviteTransaction(request: request, reliable: reliable, timers: configuration.timers))
            : .nonInvite(ClientNonInviteTransaction(request: request, reliable: reliable, timers: configuration.timers))
        clients[id] = ClientRecord(machine: machine, key: key, peer: peer)
        clientIndex[key] = id
        let actions = clients[id]!.machine.start()
        runClient(id, actions)
    }

    func sendCancel(_ id: ClientTransactionID, for invite: SIPRequest, reason: String?, to peer: SIPPeer) {
        let cancel = invite.makeCancel(reason: reason)
        let key = ClientTransactionKey(branch: invite.topVia?.branch ?? "", method: .cancel)
        guard clientIndex[key] == nil else { return }
        startClient(id, request: cancel, key: key, peer: peer)
    }

    func receiveResponse(_ response: SIPResponse, from peer: SIPPeer) {
        guard let key = ClientTransactionKey(response: response), let id = clientIndex[key] else {
            // §18.1.2 / §17.1.3: a response matching no client transaction is dropped (we
            // are not a proxy; the TU retransmits nothing on its own).
            strayResponses += 1
            logger.debug("stray response dropped", metadata: [
                "sip.call_id": "\(response.callID)", "sip.status": "\(response.statusCode)", "peer": "\(peer)"])
            return
        }
        let actions = clients[id]!.machine.receivedResponse(response)
        // §9.1: a CANCEL waiting for a provisional goes out with the first one.
        if response.isProvisional, let pending = clients[id]!.cancel, !pending.sent,
           case .invite(let invite) = clients[id]!.machine, invite.state == .proceeding {
            clients[id]!.cancel!.sent = true
            sendCancel(pending.id, for: invite.request, reason: pending.reason, to: clients[id]!.peer)
        }
        runClient(id, actions)
    }

    func runClient(_ id: ClientTransactionID, _ actions: [TransactionAction]) {
        for action in actions {
            guard let record = clients[id] else { return }
            switch action {
            case .send(let message):
                do {
                    try transport.send(message, to: record.peer)
                } catch {
                    logger.notice("transport error sending request", metadata: [
                        "sip.call_id": "\(record.machine.request.callID)", "error": "\(error)"])
                    let more = clients[id]!.machine.transportFailed()
                    runClient(id, more)
                }
            case .passToTU(let message):
                if case .response(let response) = message {
                    user?.didReceiveResponse(response, transaction: id)
                }
            case .startTimer(let timer, let delay):
                clients[id]!.timers[timer]?.handle.cancel()
                clients[id]!.timers[timer] = schedule(timer, after: delay) { layer, token in
                    layer.clientTimerFired(id, timer, token: token)
                }
            case .cancelTimer(let timer):
                clients[id]!.timers.removeValue(forKey: timer)?.handle.cancel()
            case .timeout:
                user?.clientTransactionDidFail(id, reason: .timeout)
            case .transportError:
                user?.clientTransactionDidFail(id, reason: .transportError)
            case .terminated:
                removeClient(id)
            }
        }
    }

    func clientTimerFired(_ id: ClientTransactionID, _ timer: TransactionTimer, token: UInt64) {
        guard let scheduled = clients[id]?.timers[timer], scheduled.token == token else { return }
        clients[id]!.timers[timer] = nil
        let actions = clients[id]!.machine.timerFired(timer)
        runClient(id, actions)
    }

    func removeClient(_ id: ClientTransactionID) {
        guard let record = clients.removeValue(forKey: id) else { return }
        for scheduled in record.timers.values { scheduled.handle.cancel() }
        if clientIndex[record.key] == id { clientIndex[record.key] = nil }
    }
}
