import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

extension CallEngine {
    /// A new INVITE (no To tag) from a trusted source that passed the RFC 3261 §8.2 checks.
    public func receiveInvite(_ invite: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) {
        try? layer.sendTrying(on: transaction)
        let toTag = Self.makeTag()
        if isDraining {
            refuse(invite, transaction, 503, toTag: toTag, retryAfter: true)
            return
        }
        // The dialled number comes from the Request-URI user part, else the To header's.
        let dialled = invite.uri.user ?? invite.to.uri.user ?? ""
        let decoded = dialled.removingPercentEncoding ?? dialled
        let callerUser = invite.from.uri.user.map { $0.removingPercentEncoding ?? $0 }
        let table = dialplans.current
        var (route, continuations) = Router.routeWithContinuations(to: decoded, from: callerUser, at: Date(), table: table,
                                                                   defaultRegion: configuration.defaultRegion, numbers: numbers)
        // An agent's tracking number that no dialplan claims rings that agent (issue 15).
        if RouteOutcome(route) != .routed, let direct = agentDirectRoute(route) { route = direct; continuations = [] }
        guard RouteOutcome(route) == .routed, let account = route.account, let number = route.trackingNumber else {
            logger.info("no route for dialled number", metadata: ["number": "\(decoded)", "sip.call_id": "\(invite.callID)"])
            refuse(invite, transaction, 404, toTag: toTag)
            return
        }
        if let reason = accessPolicy?(account) {
            // FAQ: access lasts to the end of the paid term; after it the numbers stop
            // routing. The reason says why to the carrier's logs (RFC 3326).
            logger.notice("call refused: account access ended", metadata: ["account": "\(account)", "number": "\(number)"])
            var response = SIPResponse(to: invite, statusCode: 403, toTag: toTag)
            response.headers.add("Reason", "SIP;cause=403;text=\"\(reason)\"")
            try? layer.respond(response, on: transaction)
            statistics.callsRefused += 1
            return
        }
        if let refusal = admission.admit(source: peer.host, number: number, now: monotonic()) {
            statistics.callsRefused += 1
            logger.warning("call refused: overload", metadata: ["limit": "\(refusal)", "sip.peer": "\(peer)", "number": "\(number)"])
            refuse(invite, transaction, 503, toTag: toTag, retryAfter: true)
            return
        }

        let inbound = inboundLeg(for: invite, transaction: transaction, from: peer, toTag: toTag)
        let call = Call(inbound: inbound, route: route, account: account, trackingNumber: number,
                        source: route.source ?? "", caller: route.caller.e164 ?? route.caller.input)
        call.continuations = continuations
        register(call, table: table, transaction: transaction, toTag: toTag)
        emit(.created(leg: inbound.id, call: call.id, .init(
            account: account, trackingNumber: number, source: call.source, direction: .inbound, target: number,
            sipCallID: invite.callID, callerNumber: call.caller)))
        callLogger(call).info("call started", metadata: ["source": "\(call.source)", "caller": "\(call.caller)"])
        startMachine(call)
    }

    func refuse(_ request: SIPRequest, _ transaction: ServerTransactionID, _ status: Int, toTag: String, retryAfter: Bool = false) {
        var response = SIPResponse(to: request, statusCode: status, toTag: toTag)
        if retryAfter { response.headers.add("Retry-After", "\(configuration.retryAfterSeconds)") }
        try? layer.respond(response, on: transaction)
    }

    /// The caller cancelled (RFC 3261 §9.2; the layer already answered the CANCEL with 200).
    public func receiveCancel(for transaction: ServerTransactionID) {
        guard let call = callsByInboundTransaction[transaction] else { return }
        drive(call) { machine, now in machine.cancelReceived(now: now) }
    }

    // MARK: Responses to the caller

    func respondToCaller(_ call: Call, status: Int, response: SIPResponse? = nil) {
        let inbound = call.inbound
        var out = SIPResponse(to: inbound.invite, statusCode: status, toTag: inbound.localTag)
        if status != 100 && status < 300 {
            out.contacts = [contact(replyingTo: inbound.invite)]
            // §12.1.1: a response that makes a dialog (early or confirmed) copies the Record-Route.
            out.recordRoutes = inbound.invite.recordRoutes
        }
        if let response, !response.body.isEmpty {
            out.body = response.body
            out.contentType = response.contentType
        }
        if status >= 200 { inbound.sentFinal = true }
        do {
            try layer.respond(out, on: inbound.transaction)
        } catch {
            callLogger(call).debug("response to caller not sent", metadata: ["error": "\(error)", "sip.status": "\(status)"])
        }
        if (200..<300).contains(status) { start2xxRetransmission(call, out) }
    }

    /// RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx (T1 doubling to T2) until the ACK,
    /// over UDP and TCP alike; with no ACK after 64·T1 the machine's `ackTimeout` ends the call.
    func start2xxRetransmission(_ call: Call, _ response: SIPResponse) {
        call.inbound.pending2xx?.stop()
        call.inbound.pending2xx = retransmitUntilAcked(response, to: call.inbound.source, localTag: call.inbound.localTag) {}
    }

    func stop2xxRetransmission(_ call: Call) {
        call.inbound.pending2xx?.stop()
        call.inbound.pending2xx = nil
        for pending in call.reinvite2xx.values { pending.stop() }
        call.reinvite2xx = [:]
    }
}
