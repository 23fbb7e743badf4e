import Logging

/// What a drain acts on: the node's calls, counted and ended over every SIP loop.
public protocol DrainableNode: Sendable {
    /// New INVITEs get 503 + Retry-After from now on; answers the calls still in progress.
    func stopAcceptingCalls() async -> Int
    func callsInProgress() async -> Int
    /// Sends BYE on both legs of every call still in progress.
    func hangUpEveryCall() async
    /// Client transactions still waiting for their answer (the BYEs just sent among them).
    func pendingClientTransactions() async -> Int
    /// The systemd `STATUS=` text with `head` in front of the call count.
    func statusLine(head: String) async -> String
}

/// SIGTERM (design.md "Operations"): new calls are refused at once; calls in progress get
/// `grace` to end by themselves; whatever is left then gets a BYE on both legs, and the
/// answers are awaited for at most `byeWait` (a dead peer must not hold the shutdown). The
/// transport stays up throughout, so BYEs and their answers still flow; the leg journal is
/// flushed by the caller afterwards.
public struct DrainPolicy: Sendable {
    public var grace: Duration
    /// How often the calls are counted while they may still end by themselves.
    public var poll: Duration = .milliseconds(50)
    /// How often systemd's status line shows the grace left.
    public var statusEvery: Duration = .seconds(1)
    public var byeWait: Duration = .seconds(2)

    public init(grace: Duration) { self.grace = grace }

    public struct Outcome: Equatable, Sendable {
        /// Calls in progress when the drain began.
        public var callsAtStart: Int
        /// Calls we hung up because the grace ran out (0: every call ended by itself).
        public var hungUp: Int

        public init(callsAtStart: Int, hungUp: Int) {
            self.callsAtStart = callsAtStart
            self.hungUp = hungUp
        }
    }

    @discardableResult
    public func run(_ node: some DrainableNode, notifier: SystemdNotifier? = nil, logger: Logger) async -> Outcome {
        let start = ContinuousClock.now
        let atStart = await node.stopAcceptingCalls()
        var remaining = atStart
        if remaining > 0 {
            logger.notice("draining: new calls get 503; calls in progress may go on",
                          metadata: ["calls": "\(remaining)", "drain.grace": "\(grace)"])
        }
        var lastStatus = start
        while remaining > 0, ContinuousClock.now - start < grace {
            try? await Task.sleep(for: poll)
            remaining = await node.callsInProgress()
            if let notifier, ContinuousClock.now - lastStatus >= statusEvery {
                lastStatus = ContinuousClock.now
                let left = Int((grace - (ContinuousClock.now - start)).components.seconds)
                notifier.send(SystemdNotifier.status(await node.statusLine(head: "Draining, \(left)s of grace left")))
            }
        }
        guard remaining > 0 else {
            logger.notice("drained: no calls in progress")
            return Outcome(callsAtStart: atStart, hungUp: 0)
        }
        logger.warning("drain grace over: hanging up the calls still in progress", metadata: ["calls": "\(remaining)"])
        await node.hangUpEveryCall()
        let byeDeadline = ContinuousClock.now + byeWait
        while ContinuousClock.now < byeDeadline, await node.pendingClientTransactions() > 0 {
            try? await Task.sleep(for: poll)
        }
        return Outcome(callsAtStart: atStart, hungUp: remaining)
    }
}
