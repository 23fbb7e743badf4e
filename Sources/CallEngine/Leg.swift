import Foundation
import SIPMessage
import SIPTransaction

/// The caller's side: we are its UAS.
final class InboundLeg {
    let id = UUID()
    let invite: SIPRequest
    let transaction: ServerTransactionID
    let source: SIPPeer
    /// Our To tag, the same on every response (one early dialog towards the caller), except
    /// after a cancelled leg's early media (`CallStateMachine.Action.newCallerEarlyDialog`).
    var localTag: String
    var dialog: Dialog
    var sentRinging = false
    var sentFinal = false
    /// Our 2xx, retransmitted until the ACK arrives (RFC 3261 §13.3.1.4).
    var pending2xx: Retransmitted2xx?

    init(invite: SIPRequest, transaction: ServerTransactionID, source: SIPPeer, localTag: String, dialog: Dialog) {
        self.invite = invite
        self.transaction = transaction
        self.source = source
        self.localTag = localTag
        self.dialog = dialog
    }
}

/// A leg we place to a target: we are its UAC. Its life (ringing, answered, cancelled…) is
/// the `CallStateMachine`'s; this holds what the driver needs to build its messages.
final class OutboundLeg {
    let id = UUID()
    /// Its number in the call's `CallStateMachine`.
    let ref: CallStateMachine.LegRef
    let target: String
    let invite: SIPRequest
    /// Where the INVITE went (resolved address); in-dialog requests fall back to it.
    let peer: SIPPeer
    var transaction: ClientTransactionID
    var dialog: Dialog?
    var ackSent: SIPRequest?
    var finalStatus: Int?
    var createdAt = Date()
    /// ACKs we sent for 2xx we did not bridge (after our CANCEL, other forks), by To tag,
    /// with where they went: sent again on each retransmission (§13.2.2.4).
    var dismissedAcks: [String: (ack: SIPRequest, peer: SIPPeer)] = [:]

    init(ref: CallStateMachine.LegRef, target: String, invite: SIPRequest, peer: SIPPeer, transaction: ClientTransactionID) {
        self.ref = ref
        self.target = target
        self.invite = invite
        self.peer = peer
        self.transaction = transaction
    }
}
