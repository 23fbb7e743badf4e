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
        let ref = leg.ref
        drive(call) { machine, now in machine.legResponse(ref, response, now: now) }
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
        guard let (call, leg) = legsByTransaction[transaction] else { return false }
        let ref = leg.ref
        drive(call) { machine, now in machine.legTransportFailed(ref, status: reason.equivalentStatusCode, now: now) }
        return true
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
}
