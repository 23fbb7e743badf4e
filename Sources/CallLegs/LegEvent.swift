import Foundation

/// One thing that happened to a call leg: the one model the call engine emits, the journal
/// stores and the writer merges (design.md "Call legs and durability"). Events of one leg
/// are emitted in order (created → ringing → answered → ended, any of the middle two may be
/// missing); the writer merges them into one `call_legs` row keyed by `legID`.
public struct LegEvent: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case created = 0, ringing = 1, answered = 2, ended = 3

        public var name: String {
            switch self {
            case .created: "created"
            case .ringing: "ringing"
            case .answered: "answered"
            case .ended: "ended"
            }
        }
    }

    public enum Direction: UInt8, Sendable {
        case inbound = 0, outbound = 1
        /// An agent's leg into us when the agent places a call (issue 15 item 4): the call's
        /// origin, not billed itself (its `outbound` leg is, at the account's outbound rates).
        case agent = 2
        public var name: String {
            switch self {
            case .inbound: "inbound"
            case .outbound: "outbound"
            case .agent: "agent"
            }
        }
    }

    /// Why a leg ended; stored as its `rawValue` in `call_legs.end_reason`.
    public enum EndReason: UInt8, Sendable, CaseIterable {
        case answeredElsewhere = 0, callerCancelled, busy, noAnswer, timeout, error, maxDuration,
             completed, interrupted, rejected
        // IVR and queue outcomes (appended: the journal stores the raw value).
        case ivrAbandoned, queueTimeout, agentNoAnswer, mediaTimeout
        /// Hung up when a graceful stop's drain grace ran out (appended, like the above).
        case shutdown
        /// The callee declined (603 Decline, 607 Unwanted): kept apart from `rejected` (other
        /// 4xx-6xx refusals) so reports can tell a person's "no" from a failure.
        case declined

        public var name: String {
            switch self {
            case .answeredElsewhere: "answered-elsewhere"
            case .callerCancelled: "caller-cancelled"
            case .busy: "busy"
            case .noAnswer: "no-answer"
            case .timeout: "timeout"
            case .error: "error"
            case .maxDuration: "max-duration"
            case .completed: "completed"
            case .interrupted: "interrupted"
            case .rejected: "rejected"
            case .ivrAbandoned: "ivr-abandoned"
            case .queueTimeout: "queue-timeout"
            case .agentNoAnswer: "agent-no-answer"
            case .mediaTimeout: "media-timeout"
            case .shutdown: "shutdown"
            case .declined: "declined"
            }
        }

        public init?(name: String) {
            guard let r = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = r
        }
    }

    /// What is known when the leg is created.
    public struct Origin: Sendable, Equatable {
        public var account: String
        public var trackingNumber: String
        public var source: String
        public var direction: Direction
        /// The dialled target (`sip:` / `tel:` URI) for outbound legs; our own URI for inbound.
        public var target: String
        public var sipCallID: String
        /// The caller's number (inbound) or the caller ID presented (outbound), if known.
        public var callerNumber: String?
        /// The agent (SIP username) who placed the call, on every leg of an agent's call.
        public var agent: String?

        public init(account: String, trackingNumber: String, source: String, direction: Direction,
                    target: String, sipCallID: String, callerNumber: String? = nil, agent: String? = nil) {
            self.agent = agent
            self.account = account
            self.trackingNumber = trackingNumber
            self.source = source
            self.direction = direction
            self.target = target
            self.sipCallID = sipCallID
            self.callerNumber = callerNumber
        }
    }

    public enum Detail: Sendable, Equatable {
        case created(Origin)
        case ringing
        case answered
        /// `status` is the final SIP status of the leg (200 for a completed answered leg),
        /// nil when none was exchanged (e.g. interrupted by a restart).
        case ended(status: Int?, reason: EndReason)
    }

    public var legID: UUID
    public var callID: UUID
    /// Microseconds since 1970-01-01 UTC: integer so the journal and PostgreSQL (whose
    /// timestamps are microseconds) round-trip exactly.
    public var microseconds: Int64
    public var detail: Detail

    public init(legID: UUID, callID: UUID, at time: Date, _ detail: Detail) {
        self.legID = legID
        self.callID = callID
        self.microseconds = Int64((time.timeIntervalSince1970 * 1_000_000).rounded(.down))
        self.detail = detail
    }

    public init(legID: UUID, callID: UUID, microseconds: Int64, _ detail: Detail) {
        self.legID = legID
        self.callID = callID
        self.microseconds = microseconds
        self.detail = detail
    }

    public var time: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    public var kind: Kind {
        switch detail {
        case .created: .created
        case .ringing: .ringing
        case .answered: .answered
        case .ended: .ended
        }
    }

    /// What was known at `created`; nil for the other kinds.
    public var origin: Origin? {
        if case .created(let origin) = detail { return origin }
        return nil
    }

    /// The final SIP status, at `ended` only.
    public var finalStatus: Int? {
        if case .ended(let status, _) = detail { return status }
        return nil
    }

    /// Why the leg ended, at `ended` only.
    public var endReason: EndReason? {
        if case .ended(_, let reason) = detail { return reason }
        return nil
    }

    // Convenience constructors for the call engine.
    public static func created(leg: UUID, call: UUID, at: Date = Date(), _ origin: Origin) -> LegEvent {
        LegEvent(legID: leg, callID: call, at: at, .created(origin))
    }
    public static func ringing(leg: UUID, call: UUID, at: Date = Date()) -> LegEvent {
        LegEvent(legID: leg, callID: call, at: at, .ringing)
    }
    public static func answered(leg: UUID, call: UUID, at: Date = Date()) -> LegEvent {
        LegEvent(legID: leg, callID: call, at: at, .answered)
    }
    public static func ended(leg: UUID, call: UUID, at: Date = Date(), status: Int?, reason: EndReason) -> LegEvent {
        LegEvent(legID: leg, callID: call, at: at, .ended(status: status, reason: reason))
    }
}

/// Where leg events go: the journal in the daemon (`JournalLegSink`), the call-timing
/// histograms, an array in tests. Called on the engine's event loop; implementations must
/// not block.
public protocol LegEventSink: AnyObject {
    func record(_ event: LegEvent)
}
