import Foundation

/// One step in the life of a call leg, emitted by the engine for the leg journal.
/// Shaped like the leg row (design.md "Call legs and durability") so the journal stores it as is.
public struct CallLegEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case created, ringing, answered, ended }
    /// `agent`: an agent's leg into us when it places a call (issue 15 item 4).
    public enum Direction: String, Sendable { case inbound, outbound, agent }
    public enum EndReason: String, Sendable {
        case completed, answeredElsewhere = "answered-elsewhere", callerCancelled = "caller-cancelled"
        case busy, noAnswer = "no-answer", timeout, error, maxDuration = "max-duration", rejected, declined
        /// The caller hung up in an IVR menu, left a queue at max-wait, an agent let it ring
        /// out, or a leg sent no RTP for the media timeout.
        case ivrAbandoned = "ivr-abandoned", queueTimeout = "queue-timeout", agentNoAnswer = "agent-no-answer"
        case mediaTimeout = "media-timeout"
        /// Hung up by the daemon at the end of a graceful stop's drain grace (SIGTERM).
        case shutdown
    }

    public var legID: UUID
    public var callID: UUID
    public var kind: Kind
    public var time: Date
    // Known at `created`:
    public var account: String?
    public var trackingNumber: String?
    public var source: String?
    public var direction: Direction?
    public var target: String?
    public var sipCallID: String?
    public var caller: String?
    /// The agent who placed the call (every leg of an agent's call; set by the engine).
    public var agent: String?
    // Known at `ended`:
    public var finalStatus: Int?
    public var endReason: EndReason?

    public init(legID: UUID, callID: UUID, kind: Kind, time: Date, account: String? = nil, trackingNumber: String? = nil,
                source: String? = nil, direction: Direction? = nil, target: String? = nil, sipCallID: String? = nil,
                caller: String? = nil, finalStatus: Int? = nil, endReason: EndReason? = nil) {
        self.legID = legID
        self.callID = callID
        self.kind = kind
        self.time = time
        self.account = account
        self.trackingNumber = trackingNumber
        self.source = source
        self.direction = direction
        self.target = target
        self.sipCallID = sipCallID
        self.caller = caller
        self.finalStatus = finalStatus
        self.endReason = endReason
    }
}

/// Where leg events go: the journal in the daemon, an array in tests, the log until then.
/// Called on the engine's event loop; implementations must not block.
public protocol CallLegEventSink: AnyObject {
    func record(_ event: CallLegEvent)
}
