/// A compiled forwarding plan. Plans reference each other by object, never by
/// name, so a call that holds a `Plan` keeps a consistent tree even after a
/// reload swapped the table (the old tree stays alive as long as it is held).
public final class Plan: Sendable, CustomStringConvertible {
    /// The plan's name in its account file (for traces and metrics labels).
    public let name: String
    /// The account whose file defines the plan.
    public let account: String
    public let kind: Kind
    /// Runs when this plan ends without a bridged call (busy, no answer, failure).
    public let then: Plan?

    public enum Kind: Sendable {
        case ringAll(RingAllPlan)
        case sequential(SequentialPlan)
        case geographic(GeographicPlan)
        case ivr(IVRPlan)
        case queue(QueuePlan)
        case schedule(SchedulePlan)

        /// The key used in dialplan files (`ring-all`, `sequential`, …).
        public var keyword: String {
            switch self {
            case .ringAll: "ring-all"
            case .sequential: "sequential"
            case .geographic: "geographic"
            case .ivr: "ivr"
            case .queue: "queue"
            case .schedule: "schedule"
            }
        }
    }

    public init(name: String, account: String, kind: Kind, then: Plan?) {
        self.name = name
        self.account = account
        self.kind = kind
        self.then = then
    }

    public var description: String { "\(account)/\(name) (\(kind.keyword))" }
}

/// Ring every target at once; the first to answer wins.
public struct RingAllPlan: Sendable {
    public let targets: [Target]
    /// Seconds to ring before giving up.
    public let timeout: Int
}

/// Ring targets one after another, each for its own timeout, within a total budget.
public struct SequentialPlan: Sendable {
    public struct Step: Sendable {
        public let target: Target
        public let timeout: Int
    }
    public let steps: [Step]
    /// Total seconds for all steps; steps that would start after it are skipped. Nil: no limit.
    public let budget: Int?
}

/// Play a menu and branch on the digits the caller presses.
public struct IVRPlan: Sendable {
    /// Prompt path, resolved against the dialplan directory (an absolute path).
    public let prompt: String
    public let invalidPrompt: String?
    /// Digit string → plan.
    public let options: [String: Plan]
    /// Seconds to wait for input after the prompt.
    public let timeout: Int
    /// How many times the menu is played before the default is taken.
    public let attempts: Int
    /// Taken after `attempts` without a valid choice; nil: the plan fails (and `then:` runs).
    public let defaultPlan: Plan?
    /// Digits collected per choice (1 unless multi-digit options are used).
    public let maxDigits: Int
    /// Ends multi-digit input early (e.g. "#").
    public let terminator: String?
}

/// Hold the caller and offer the call to agents.
public struct QueuePlan: Sendable {
    public enum Strategy: String, Sendable, CaseIterable, Codable {
        case ringAll = "ring-all", roundRobin = "round-robin", longestIdle = "longest-idle"
        case fewestCalls = "fewest-calls", random, linear
    }
    public let agents: [Target]
    public let strategy: Strategy
    public let holdMusic: String?
    /// Seconds a caller waits before the queue fails over (`then:`).
    public let maxWait: Int
    /// Seconds one agent rings before the next is tried.
    public let agentTimeout: Int
    /// Seconds an agent rests after a call before being offered another.
    public let wrapUp: Int
    /// How often the waiting caller hears their position, and in which voice; nil: never.
    public let announcePosition: PositionAnnouncement?
}
