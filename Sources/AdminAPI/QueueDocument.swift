import Foundation

/// `GET /queues` on the admin endpoint: every queue's waiting callers and agents. One
/// `Codable` model for both ends, the daemon that encodes it and `switchboard queues` that
/// reads it, so the two cannot drift apart. Keys are snake_case and sorted, one document per
/// line.
public struct QueueDocument: Codable, Equatable, Sendable {
    public struct Queue: Codable, Equatable, Sendable {
        public var account: String
        public var plan: String
        public var strategy: String
        public var waiting: [Caller]
        public var agents: [Agent]
        public var offered: Int
        public var answered: Int
        public var timedOut: Int
        public var abandoned: Int

        public init(account: String, plan: String, strategy: String, waiting: [Caller], agents: [Agent],
                    offered: Int, answered: Int, timedOut: Int, abandoned: Int) {
            self.account = account
            self.plan = plan
            self.strategy = strategy
            self.waiting = waiting
            self.agents = agents
            self.offered = offered
            self.answered = answered
            self.timedOut = timedOut
            self.abandoned = abandoned
        }

        enum CodingKeys: String, CodingKey {
            case account, plan, strategy, waiting, agents, offered, answered, abandoned
            case timedOut = "timed_out"
        }
    }

    public struct Caller: Codable, Equatable, Sendable {
        /// The call's id (a UUID).
        public var call: String
        /// 1-based place in arrival order.
        public var position: Int
        /// The caller's number, masked unless the request carried the admin token.
        public var caller: String
        public var waitedSeconds: Double
        /// Agents ringing for this caller now.
        public var ringing: [String]

        public init(call: String, position: Int, caller: String, waitedSeconds: Double, ringing: [String]) {
            self.call = call
            self.position = position
            self.caller = caller
            self.waitedSeconds = waitedSeconds
            self.ringing = ringing
        }

        enum CodingKeys: String, CodingKey {
            case call, position, caller, ringing
            case waitedSeconds = "waited_seconds"
        }
    }

    public struct Agent: Codable, Equatable, Sendable {
        public var target: String
        /// idle, ringing, busy or wrap-up.
        public var state: String
        public var callsTaken: Int

        public init(target: String, state: String, callsTaken: Int) {
            self.target = target
            self.state = state
            self.callsTaken = callsTaken
        }

        enum CodingKeys: String, CodingKey {
            case target, state
            case callsTaken = "calls_taken"
        }
    }

    public var queues: [Queue]

    public init(queues: [Queue]) { self.queues = queues }
}
