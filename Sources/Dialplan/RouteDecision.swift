/// A dry-run of what a call to a tracking number would do: the decisions
/// taken and the legs that would ring, in order, including `then:` failover.
/// Encoded with sorted keys it is the stable JSON of `switchboard route --json`.
public struct RouteDecision: Sendable, Codable, Equatable {
    /// `routed`, or `not-found` (SIP 404) for numbers no account claims.
    public var outcome: String
    /// The SIP status the caller would get before any leg is tried (100 or 404).
    public var status: Int
    public var dialled: String
    /// The dialled number in E.164; nil when it could not be parsed.
    public var trackingNumber: String?
    public var account: String?
    public var source: String?
    /// `caller` or `tracking-number`: what the receiving phones see.
    public var callerIDPolicy: String?
    public var caller: CallerInfo
    /// The moment the decision was made for (UTC, ISO 8601).
    public var at: String
    /// The first attempt, then each `then:` fallback in the order it would run.
    public var attempts: [Attempt]

    public struct Attempt: Sendable, Codable, Equatable {
        /// Why this attempt runs: `initial`, or which plan failed.
        public var trigger: String
        public var decisions: [Decision]
        /// Ring groups in order; the legs of one group ring in parallel.
        public var groups: [LegGroup]
        /// How the attempt ends when nothing answers.
        public var onFailure: String

        public init(trigger: String, decisions: [Decision], groups: [LegGroup], onFailure: String) {
            self.trigger = trigger
            self.decisions = decisions
            self.groups = groups
            self.onFailure = onFailure
        }
    }

    public struct Decision: Sendable, Codable, Equatable {
        public var plan: String
        public var kind: String
        /// The branch, rule, option or `default` chosen (nil for plans that ring).
        public var choice: String?
        public var reason: String
        /// Prompts or music the daemon plays to the caller here.
        public var plays: [String]?
    }

    public struct LegGroup: Sendable, Codable, Equatable {
        public var plan: String
        /// Seconds after the start of this plan at which the group starts ringing.
        public var startsAfter: Int
        public var legs: [Leg]
        public var note: String?

        public init(plan: String, startsAfter: Int, legs: [Leg], note: String? = nil) {
            self.plan = plan
            self.startsAfter = startsAfter
            self.legs = legs
            self.note = note
        }
    }

    public struct Leg: Sendable, Codable, Equatable {
        public var target: String
        /// Where an agent is reached when it is not registered.
        public var contact: String?
        /// Seconds this leg rings before it is given up.
        public var timeout: Int
        /// The caller ID the receiving phone sees.
        public var callerID: String

        public init(target: String, contact: String?, timeout: Int, callerID: String) {
            self.target = target
            self.contact = contact
            self.timeout = timeout
            self.callerID = callerID
        }
    }
}
