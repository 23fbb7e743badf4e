import Dialplan
import Media
import NIOCore
import SIPMessage
import SIPTransaction

/// The media side of a call the daemon answered itself (IVR, queue): the caller's RTP
/// session (A), the session that faces the outbound legs (B, one for every leg of the call:
/// whichever answers is bridged to A), and what each side was offered. Where the call is in
/// its plan is the `CallStateMachine`'s; this holds only the I/O objects. Loop-confined like
/// its call.
final class MediaAnchor {
    /// The loop both RTP sessions of this call live on (chosen when the first one starts).
    var sessionLoop: (any EventLoop)?
    var callerSession: RTPSession?
    /// What our 200 carried: the answer, or our offer when the INVITE had no SDP (late offer).
    var callerSDP: SessionDescription?
    var legSession: RTPSession?
    var legOffer: SessionDescription?
    var legOfferBody: [UInt8]?
    var relay: RTPRelay?
    var sdpVersion = 1
    /// Which prompt plays now, so ringback is not restarted on every group.
    var playing: String?
    /// The menu round whose prompts play (plan, generation), for the log.
    var menuRound: (plan: String, generation: Int)?
    /// The queue line the caller is in ("account/plan") and since when (monotonic).
    var queueKey: String?
    var queueEnteredAt: Duration = .zero

    var sessions: [RTPSession] { [callerSession, legSession].compactMap { $0 } }
}
