import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

/// One call: the caller's inbound leg, the plan being run (as the router computed it), and
/// the outbound legs placed so far. Lives on the engine's event loop.
final class Call {
    enum State: Equatable {
        /// Legs are being rung.
        case ringing
        /// A leg answered; waiting for the caller's ACK.
        case answered
        /// ACKed: media flows end to end.
        case confirmed
        case ended
    }

    let id = UUID()
    let inbound: InboundLeg
    var route: RouteDecision
    /// The table the call was routed with (IVR choices re-route within it, after a reload too).
    var table: DialplanTable?
    /// The routing walk stopped at each IVR menu not yet decided: a menu's choice resumes
    /// the walk there (`RouteContinuation`), the router is not run again.
    var continuations: [RouteContinuation] = []
    let startedAt = Date()
    /// The RTP sessions of a call we answered ourselves (IVR, queue, and whatever rings after them).
    var anchor: MediaAnchor?
    let account: String
    let trackingNumber: String
    let source: String
    let caller: String
    var state: State = .ringing

    /// The leg bridged to the caller (its dialog is the callee side of the call).
    var winner: OutboundLeg?
    /// A relayed re-INVITE of the caller's, answered 2xx by the callee: its CSeq in the
    /// callee's dialog and the client transaction, waiting for the caller's ACK to pass on.
    var pendingAckToCallee: (cseq: UInt32, transaction: ClientTransactionID)?
    /// Our 2xx to a re-INVITE, by the local tag of the dialog it went into, until its ACK.
    var reinvite2xx: [String: Retransmitted2xx] = [:]

    /// The call's logic as a value (every plan kind); nil only before `startMachine`.
    var machine: CallStateMachine?
    /// The `agent:` names the plan rings, whose bindings the driver gives the machine
    /// before each event (empty for most calls: nothing to look up).
    var agentNames: [String] = []
    /// The machine's legs, by its numbers.
    var legsByRef: [CallStateMachine.LegRef: OutboundLeg] = [:]
    /// Timers the machine asked for.
    var timers: [CallStateMachine.TimerID: any TransactionTimerHandle] = [:]
    /// Events raised while the engine performs actions wait here, so the machine never
    /// sees an event in the middle of acting on the previous one.
    var pendingEvents: [(CallEngine.MachineEvent, CallEngine.InDialogContext?)] = []
    var driving = false
    /// Every To tag we gave the caller's early dialogs (a new one after a cancelled leg's
    /// early media), all forgotten when the call ends.
    var callerTags: [String] = []
    /// The engine's logger with this call's metadata, built on first use (`callLogger`).
    var logger: Logger?

    init(inbound: InboundLeg, route: RouteDecision, account: String, trackingNumber: String, source: String, caller: String) {
        self.inbound = inbound
        self.route = route
        self.account = account
        self.trackingNumber = trackingNumber
        self.source = source
        self.caller = caller
    }

    enum Side { case caller, callee }

    /// Which of the call's dialogs `request` (received) belongs to, by Call-ID and both tags
    /// (RFC 3261 §12.2.2); nil when it names our tag but not the rest of the dialog.
    func side(of request: SIPRequest) -> Side? {
        let id = DialogID(receivedRequest: request)
        if inbound.dialog.id == id { return .caller }
        if let dialog = winner?.dialog, dialog.id == id { return .callee }
        return nil
    }
}
