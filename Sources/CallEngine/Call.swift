import Dialplan
import Foundation
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
    let startedAt = Date()
    /// Media anchored at the daemon (IVR, queue, and whatever rings after them).
    var anchor: MediaAnchor?
    let account: String
    let trackingNumber: String
    let source: String
    let caller: String
    var state: State = .ringing

    var attemptIndex = 0
    var groupIndex = -1
    /// Legs of the group ringing now.
    var currentLegs: [OutboundLeg] = []
    var allLegs: [OutboundLeg] = []
    /// Final statuses of failed legs, for RFC 3261 §16.7-style selection.
    var failureStatuses: [Int] = []
    var winner: OutboundLeg?
    var groupTimer: (any TransactionTimerHandle)?
    /// Bumped for every group rung, so a DNS answer for an earlier group is ignored.
    var groupGeneration = 0
    /// Legs of the current group waiting for their host name to resolve.
    var pendingResolutions = 0
    var maxDurationTimer: (any TransactionTimerHandle)?
    /// B-side CSeq of a relayed re-INVITE whose 2xx the caller must ACK (and vice versa).
    var pendingAckToCallee: UInt32?
    var pendingAckToCaller: UInt32?

    init(inbound: InboundLeg, route: RouteDecision, account: String, trackingNumber: String, source: String, caller: String) {
        self.inbound = inbound
        self.route = route
        self.account = account
        self.trackingNumber = trackingNumber
        self.source = source
        self.caller = caller
    }

    var liveLegs: [OutboundLeg] { currentLegs.filter(\.isLive) }
}
