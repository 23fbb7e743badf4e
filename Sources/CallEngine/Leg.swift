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

/// A leg we place to a target: we are its UAC.
final class OutboundLeg {
    enum State: Equatable { case trying, ringing, answered, cancelling, failed, abandoned, ended }

    let id = UUID()
    let target: String
    let invite: SIPRequest
    /// Where the INVITE went (resolved address); in-dialog requests fall back to it.
    let peer: SIPPeer
    var transaction: ClientTransactionID
    var state: State = .trying
    var dialog: Dialog?
    /// The To tag of the 2xx that answered it: how a retransmission of that 2xx is told from
    /// another fork's. Only the tag is kept, not the response: an established call lives for
    /// hours and the 2xx's SDP has already been relayed (bench/calls memory figures).
    var answerTag: String??
    var ackSent: SIPRequest?
    var finalStatus: Int?
    var createdAt = Date()
    /// Anchored calls: cancelled by us, its end not yet recorded (when and why we gave up);
    /// recorded with whatever final response comes, or 64·T1 later (§9.1).
    var pendingEnd: (at: Date, reason: CallLegEvent.EndReason)?
    var giveUpTimer: (any TransactionTimerHandle)?
    /// Its number in the call's `CallStateMachine` (nil for legs of anchored calls).
    var ref: CallStateMachine.LegRef?
    /// ACKs we sent for 2xx we did not bridge (after our CANCEL, other forks), by To tag,
    /// with where they went: sent again on each retransmission (§13.2.2.4).
    var dismissedAcks: [String: (ack: SIPRequest, peer: SIPPeer)] = [:]

    init(target: String, invite: SIPRequest, peer: SIPPeer, transaction: ClientTransactionID) {
        self.target = target
        self.invite = invite
        self.peer = peer
        self.transaction = transaction
    }

    var isLive: Bool { state == .trying || state == .ringing || state == .cancelling }
}
