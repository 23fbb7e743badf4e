import SIPTransaction

/// A manual `TransactionClock` for tests: nothing fires until `advance(by:)`, which runs every
/// due timer in deadline order (ties in scheduling order), moving `now` to each deadline
/// first, so timers scheduled by a firing timer also fire if they fall within the advance.
/// Not thread-safe: use it from one test at a time.
public final class FakeClock: TransactionClock {
    public final class Handle: TransactionTimerHandle {
        public let deadline: Duration
        let sequence: UInt64
        let body: () -> Void
        public private(set) var isCancelled = false
        public fileprivate(set) var hasFired = false
        init(deadline: Duration, sequence: UInt64, body: @escaping () -> Void) {
            self.deadline = deadline
            self.sequence = sequence
            self.body = body
        }
        public func cancel() { isCancelled = true }
    }

    /// Time since the clock was created.
    public private(set) var now: Duration = .zero
    private var pending: [Handle] = []
    private var sequence: UInt64 = 0

    public init() {}

    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any TransactionTimerHandle {
        sequence += 1
        let handle = Handle(deadline: now + max(delay, .zero), sequence: sequence, body: body)
        pending.append(handle)
        return handle
    }

    /// Timers scheduled and neither fired nor cancelled.
    public var pendingTimerCount: Int { pending.filter { !$0.isCancelled }.count }

    /// Deadlines of the live timers, earliest first.
    public var pendingDeadlines: [Duration] {
        pending.filter { !$0.isCancelled }.map(\.deadline).sorted()
    }

    /// Move time forward by `duration`, firing every timer due on the way.
    public func advance(by duration: Duration) {
        advance(to: now + duration)
    }

    /// Move time to `instant` (never backwards), firing every timer due on the way.
    public func advance(to instant: Duration) {
        while let next = nextDue(before: instant) {
            now = max(now, next.deadline)
            pending.removeAll { $0 === next }
            next.hasFired = true
            next.body()
        }
        now = max(now, instant)
        pending.removeAll { $0.isCancelled }
    }

    /// Fire timers until none is left (at most `limit` firings, to stop runaway loops).
    /// Returns the number fired.
    @discardableResult
    public func runUntilIdle(limit: Int = 10_000) -> Int {
        var fired = 0
        while fired < limit, let next = pending.filter({ !$0.isCancelled }).min(by: Self.order) {
            advance(to: next.deadline)
            fired += 1
        }
        return fired
    }

    private func nextDue(before instant: Duration) -> Handle? {
        pending.filter { !$0.isCancelled && $0.deadline <= instant }.min(by: Self.order)
    }

    private static func order(_ a: Handle, _ b: Handle) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
}
