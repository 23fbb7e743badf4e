import Dialplan
import SIPMessage
import SIPTransaction

extension CallEngine {
    /// The leg an INVITE we answer opens, caller's or agent's: we are its UAS.
    ///
    /// RFC 3261 §12.1.1: the route set is the INVITE's Record-Route, in order; our requests
    /// in this dialog go to its first entry (the carrier's proxy), not to the Contact.
    func inboundLeg(for invite: SIPRequest, transaction: ServerTransactionID, from peer: SIPPeer,
                    toTag: String) -> InboundLeg {
        var local = invite.to
        local.tag = nil
        var remote = invite.from
        remote.tag = nil
        let dialog = Dialog(callID: invite.callID, localTag: toTag, remoteTag: invite.from.tag, localURI: local,
                            remoteURI: remote, localCSeq: 0, remoteCSeq: invite.cSeq.sequence,
                            remoteTarget: invite.contacts.first?.uri ?? invite.from.uri,
                            routeSet: .uas(recordRoutes: invite.recordRoutes), fallbackPeer: peer)
        return InboundLeg(invite: invite, transaction: transaction, source: peer, localTag: toTag, dialog: dialog)
    }

    /// Enter a new call in the tables every later message is matched through (by call, by
    /// its INVITE's server transaction, by our To tag) and count it as started.
    func register(_ call: Call, table: DialplanTable, transaction: ServerTransactionID, toTag: String) {
        call.table = table
        calls[call.id] = call
        callsByInboundTransaction[transaction] = call
        callsByLocalTag[toTag] = call
        statistics.callsStarted += 1
    }
}
