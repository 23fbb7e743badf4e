import Dialplan
import Media
import NIOCore
import SIPTransaction

/// The media side of a call the daemon answered itself (IVR, queue): the caller's RTP
/// session (A), the session that faces the outbound legs (B, one for every leg of the call:
/// whichever answers is bridged to A), what each side was offered, and where the plan is.
/// Loop-confined like its call.
final class MediaAnchor {
    enum Stage: Equatable {
        /// Our 200 is being prepared (the caller's RTP session is starting).
        case answering
        case ivr
        case queue
        /// Legs of an ordinary plan ring while the caller hears ringback.
        case ringing
        case bridged
    }

    var stage: Stage = .answering
    /// The loop both RTP sessions of this call live on (chosen when the first one starts).
    var sessionLoop: (any EventLoop)?
    /// Our 200 went to the caller; from here the caller is ended with BYE, not a final response.
    var callerAnswered = false
    var callerSession: RTPSession?
    /// What our 200 carried: the answer, or our offer when the INVITE had no SDP (late offer).
    var callerSDP: SessionDescription?
    var callerOfferedLate = false
    var legSession: RTPSession?
    var legOffer: SessionDescription?
    var legOfferBody: [UInt8]?
    var startingLegSession = false
    var relay: RTPRelay?
    var sdpVersion = 1
    /// Which prompt plays now, so ringback is not restarted on every group.
    var playing: String?

    // Plan progress within the current attempt.
    var attemptSeen = -1
    var resolvedIVRs = 0
    /// Every menu entry so far in call order ("" for no input): `Router.route(digits:)` input.
    var digits: [String] = []
    var ivr: IVRRun?
    var failureReason: CallLegEvent.EndReason?

    // Queue membership.
    var queueKey: String?
    var queueStarted = false
    var queueEnteredAt: Duration = .zero
    /// The caller's stay in the queue as a value, and the timers it asked for.
    var queueWait: QueueWaitMachine?
    var queueTimers: [QueueWaitMachine.TimerID: any TransactionTimerHandle] = [:]
    /// Agents tried for this caller in the current round (then the round starts over).
    var triedAgents: Set<String> = []
    var agentOfLeg: [ObjectIdentifier: String] = [:]

    var sessions: [RTPSession] { [callerSession, legSession].compactMap { $0 } }
}

/// One IVR menu being played to the caller: its plan, its logic as a value, and the input
/// timer the engine runs for it.
final class IVRRun {
    let name: String
    let plan: IVRPlan
    var menu: IVRMenuMachine
    var timer: (any TransactionTimerHandle)?

    init(name: String, plan: IVRPlan) {
        self.name = name
        self.plan = plan
        self.menu = IVRMenuMachine(plan: plan)
    }
}
