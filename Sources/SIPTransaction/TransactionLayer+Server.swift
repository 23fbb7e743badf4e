import Logging
import SIPMessage

extension TransactionLayer.ServerMachine {
    var isInviteInProceeding: Bool {
        if case .invite(let m) = self { return m.state == .proceeding }
        return false
    }

    /// The To tag of the last response sent (for RFC 2543 ACK matching and the CANCEL's 200).
    var lastToTag: String? {
        switch self {
        case .invite(let m): return m.lastToTag
        case .nonInvite(let m): return m.lastResponse?.to.tag
        }
    }

    mutating func receivedRequest(_ request: SIPRequest) -> [TransactionAction] {
        step(invite: { $0.receivedRequest(request) }, nonInvite: { $0.receivedRequest(request) })
    }

    mutating func sendResponse(_ response: SIPResponse) -> [TransactionAction] {
        step(invite: { $0.sendResponse(response) }, nonInvite: { $0.sendResponse(response) })
    }

    mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        step(invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
    }

    mutating func transportFailed() -> [TransactionAction] {
        step(invite: { $0.transportFailed() }, nonInvite: { $0.transportFailed() })
    }

    /// Feed one event to whichever machine this is and store the machine's new value back.
    private mutating func step(invite: (inout ServerInviteTransaction) -> [TransactionAction],
                               nonInvite: (inout ServerNonInviteTransaction) -> [TransactionAction]) -> [TransactionAction] {
        switch self {
        case .invite(var m): let a = invite(&m); self = .invite(m); return a
        case .nonInvite(var m): let a = nonInvite(&m); self = .nonInvite(m); return a
        }
    }
}

extension TransactionLayer {
    // MARK: public server API

    /// Send `response` on server transaction `transaction` (RFC 3261 §17.2.1, §17.2.2).
    /// Throws when the transaction is gone or the response is not allowed in its state.
    public func respond(_ response: SIPResponse, on transaction: ServerTransactionID) throws(TransactionLayerError) {
        guard servers[transaction] != nil else { throw .unknownTransaction }
        let actions = servers[transaction]!.machine.sendResponse(response)
        guard !actions.isEmpty else { throw .responseNotAllowed(statusCode: response.statusCode) }
        runServer(transaction, actions)
    }

    /// Send 100 Trying on the transaction now (RFC 3261 §17.2.1: the TU may ask for it at once).
    public func sendTrying(on transaction: ServerTransactionID) throws(TransactionLayerError) {
        guard let record = servers[transaction] else { throw .unknownTransaction }
        try respond(SIPResponse(to: record.request, statusCode: 100), on: transaction)
    }

    /// The request that created a live server transaction.
    public func request(of transaction: ServerTransactionID) -> SIPRequest? {
        servers[transaction]?.request
    }

    /// Where responses to `request` received from `peer` go: back to the source on
    /// reliable transports and with `rport` (RFC 3581 §4); otherwise the source address
    /// (the `received` address) and the sent-by port (RFC 3261 §18.2.2).
    public static func responseDestination(for request: SIPRequest, receivedFrom peer: SIPPeer) -> SIPPeer {
        guard !peer.transport.isReliable, let via = request.topVia else { return peer }
        if case .some = via.rport { return peer }
        return SIPPeer(transport: peer.transport, host: peer.host, port: via.port ?? 5060)
    }

    // MARK: matching (§17.2.3)

    func matchServer(_ request: SIPRequest, asMethod: SIPMethod? = nil) -> ServerTransactionID? {
        if let key = ServerTransactionKey(request: request, methodOverride: asMethod) {
            return serverIndex[key]
        }
        // RFC 2543 fallback (§17.2.3): through the legacy index, never a scan.
        guard let legacyKey = LegacyServerKey(request: request, asMethod: asMethod),
              let candidates = legacyIndex[legacyKey] else { return nil }
        for id in candidates {
            guard let record = servers[id] else { continue }
            if request.method == .ack {
                if record.request.method == .invite,
                   LegacyMatch.ack(request, matches: record.request, responseToTag: record.machine.lastToTag) {
                    return id
                }
            } else if LegacyMatch.request(request, matches: record.request, asMethod: asMethod) {
                return id
            }
        }
        return nil
    }

    // MARK: incoming requests

    func receiveRequest(_ request: SIPRequest, from peer: SIPPeer) {
        guard request.topVia != nil else {
            logger.debug("request without Via dropped", metadata: ["sip.call_id": "\(request.callID)"])
            return
        }
        if request.method == .ack {
            receiveAck(request, from: peer)
            return
        }
        if let id = matchServer(request) {
            // A retransmission: the transaction answers it (or absorbs it); the TU never sees it.
            let actions = servers[id]!.machine.receivedRequest(request)
            runServer(id, actions)
            return
        }
        if request.method == .cancel {
            receiveCancel(request, from: peer)
            return
        }
        // §8.2.2.2: no To tag, same From tag, Call-ID and CSeq as an ongoing transaction,
        // but not matching it (another branch): a merged request (a fork that came back).
        if let mergeKey = MergeKey(request: request), let other = mergeIndex[mergeKey], servers[other] != nil {
            logger.info("merged request, answering 482", metadata: ["sip.call_id": "\(request.callID)"])
            let id = createServer(for: request, from: peer, isInternal: true)
            answerInternally(id, statusCode: 482)
            return
        }
        let id = createServer(for: request, from: peer, isInternal: false)
        user?.didReceiveRequest(request, from: peer, transaction: id)
    }

    func receiveAck(_ ack: SIPRequest, from peer: SIPPeer) {
        if let id = matchServer(ack) {
            // §17.2.1: ACK for our non-2xx (absorbed); RFC 6026: ACK in Accepted → TU.
            let actions = servers[id]!.machine.receivedRequest(ack)
            runServer(id, actions, ackFrom: peer)
            return
        }
        // §17.2.3 / §13.3.1.4: an ACK for a 2xx carries a new branch and matches no
        // transaction: it goes to the TU (the dialog).
        user?.didReceiveAckFor2xx(ack, from: peer, transaction: nil)
    }

    /// §9.2: a new CANCEL. It gets its own non-INVITE server transaction, answered by the layer:
    /// 200 when it matches an INVITE server transaction, 481 otherwise.
    func receiveCancel(_ cancel: SIPRequest, from peer: SIPPeer) {
        let cancelID = createServer(for: cancel, from: peer, isInternal: true)
        if let inviteID = matchServer(cancel, asMethod: .invite),
           let invite = servers[inviteID]?.request,
           invite.method == .invite,
           invite.uri == cancel.uri, invite.callID == cancel.callID,
           invite.from.tag == cancel.from.tag, invite.cSeq.sequence == cancel.cSeq.sequence {
            // §9.2: "the To tag of the response to the CANCEL and the response to the
            // original request SHOULD be the same".
            answerInternally(cancelID, statusCode: 200, toTag: servers[inviteID]?.machine.lastToTag)
            // Only a pending INVITE is affected; after a final response CANCEL has no effect.
            if servers[inviteID]?.machine.isInviteInProceeding == true {
                user?.didReceiveCancel(cancel, for: inviteID)
            }
        } else {
            logger.debug("CANCEL matches no transaction, answering 481", metadata: ["sip.call_id": "\(cancel.callID)"])
            answerInternally(cancelID, statusCode: 481)
        }
    }

    func createServer(for request: SIPRequest, from peer: SIPPeer, isInternal: Bool) -> ServerTransactionID {
        let id = ServerTransactionID(rawValue: allocateID())
        let reliable = peer.transport.isReliable
        let timers = configuration.timers
        let machine: ServerMachine = request.method == .invite
            ? .invite(ServerInviteTransaction(request: request, reliable: reliable, timers: timers,
                                              sendsTryingAutomatically: configuration.sendsTryingAutomatically && !isInternal))
            : .nonInvite(ServerNonInviteTransaction(request: request, reliable: reliable, timers: timers))
        let key = ServerTransactionKey(request: request)
        let mergeKey = isInternal ? nil : MergeKey(request: request)
        servers[id] = ServerRecord(machine: machine, key: key, mergeKey: mergeKey,
                                   responsePeer: Self.responseDestination(for: request, receivedFrom: peer),
                                   isInternal: isInternal)
        if let key {
            serverIndex[key] = id
        } else if let legacyKey = LegacyServerKey(request: request) {
            legacyIndex[legacyKey, default: []].append(id)
        }
        if let mergeKey, mergeIndex[mergeKey] == nil { mergeIndex[mergeKey] = id }
        if case .invite(var m) = machine {
            let actions = m.start()
            servers[id]!.machine = .invite(m)
            runServer(id, actions)
        }
        return id
    }

    func answerInternally(_ id: ServerTransactionID, statusCode: Int, toTag: String? = nil) {
        guard let record = servers[id] else { return }
        let response = SIPResponse(to: record.request, statusCode: statusCode, toTag: toTag ?? makeToTag())
        let actions = servers[id]!.machine.sendResponse(response)
        runServer(id, actions)
    }

    // MARK: performing actions

    func runServer(_ id: ServerTransactionID, _ actions: [TransactionAction], ackFrom: SIPPeer? = nil) {
        for action in actions {
            guard let record = servers[id] else { return }
            switch action {
            case .send(let message):
                do {
                    try transport.send(message, to: record.responsePeer)
                } catch {
                    logger.notice("transport error sending response", metadata: [
                        "sip.call_id": "\(record.request.callID)", "error": "\(error)"])
                    let more = servers[id]!.machine.transportFailed()
                    runServer(id, more)
                }
            case .passToTU(let message):
                if case .request(let ack) = message {
                    user?.didReceiveAckFor2xx(ack, from: ackFrom ?? record.responsePeer, transaction: id)
                }
            case .startTimer(let timer, let delay):
                servers[id]!.timers[timer]?.handle.cancel()
                servers[id]!.timers[timer] = schedule(timer, after: delay) { layer, token in
                    layer.serverTimerFired(id, timer, token: token)
                }
            case .cancelTimer(let timer):
                servers[id]!.timers.removeValue(forKey: timer)?.handle.cancel()
            case .timeout:
                if !record.isInternal { user?.serverTransactionDidFail(id, reason: .timeout) }
            case .transportError:
                if !record.isInternal { user?.serverTransactionDidFail(id, reason: .transportError) }
            case .terminated:
                removeServer(id)
            }
        }
    }

    func serverTimerFired(_ id: ServerTransactionID, _ timer: TransactionTimer, token: UInt64) {
        guard let scheduled = servers[id]?.timers[timer], scheduled.token == token else { return }
        servers[id]!.timers[timer] = nil
        let actions = servers[id]!.machine.timerFired(timer)
        runServer(id, actions)
    }

    func removeServer(_ id: ServerTransactionID) {
        guard let record = servers.removeValue(forKey: id) else { return }
        for scheduled in record.timers.values { scheduled.handle.cancel() }
        if let key = record.key, serverIndex[key] == id { serverIndex[key] = nil }
        if record.key == nil, let legacyKey = LegacyServerKey(request: record.request) {
            legacyIndex[legacyKey]?.removeAll { $0 == id }
            if legacyIndex[legacyKey]?.isEmpty == true { legacyIndex[legacyKey] = nil }
        }
        if let mergeKey = record.mergeKey, mergeIndex[mergeKey] == id { mergeIndex[mergeKey] = nil }
    }
}
