import SIPMessage

/// The timer steps the four transaction machines share, so each rule of RFC 3261 §17 about
/// retransmission timers, wait timers and entering Terminated is written once.

/// A retransmission timer: A (client INVITE), E (client non-INVITE) or G (server INVITE).
///
/// It runs on unreliable transports only (§17.1.1.2, §17.1.2.2, §17.2.1), starts at T1 and
/// doubles on each firing, up to T2 for E and G; Timer A has no cap.
struct RetransmitTimer: Sendable, Equatable {
    let timer: TransactionTimer
    /// False on reliable transports, where the timer never runs and every step is empty.
    let runs: Bool
    /// The longest interval (T2 for E and G); nil means no cap (Timer A).
    let cap: Duration?
    /// The interval the timer runs (or will run) for next.
    private(set) var interval: Duration

    init(_ timer: TransactionTimer, initial: Duration, cap: Duration?, reliable: Bool) {
        self.timer = timer
        self.runs = !reliable
        self.cap = cap
        self.interval = initial
    }

    /// Arm the timer at its current interval.
    func start() -> [TransactionAction] {
        runs ? [.startTimer(timer, after: interval)] : []
    }

    func cancel() -> [TransactionAction] {
        runs ? [.cancelTimer(timer)] : []
    }

    /// The timer fired: resend `message` and rearm at twice the interval, capped.
    mutating func fired(resending message: SIPMessage) -> [TransactionAction] {
        let doubled = interval * 2
        interval = cap.map { min(doubled, $0) } ?? doubled
        return [.send(message), .startTimer(timer, after: interval)]
    }

    /// The timer fired where the RFC fixes the next interval (Timer E in Proceeding: T2):
    /// resend `message` and rearm at `interval`.
    mutating func fired(resending message: SIPMessage, rearmAt interval: Duration) -> [TransactionAction] {
        self.interval = interval
        return [.send(message), .startTimer(timer, after: interval)]
    }
}

/// A transaction machine's state: every one has a Terminated.
protocol TransactionState: Equatable {
    static var terminated: Self { get }
}

extension TransactionState {
    /// Enter Terminated after `actions`: the last action is always `.terminated`, which
    /// tells the driver to forget the transaction and cancel whatever timers remain.
    mutating func terminate(_ actions: [TransactionAction] = []) -> [TransactionAction] {
        self = .terminated
        return actions + [.terminated]
    }

    /// Enter the state that waits out retransmissions (Completed or Confirmed) with its wait
    /// timer (D, I, J or K), or Terminated at once when that timer is zero: the RFC sets
    /// them to zero on reliable transports, which means "Terminated now", never "schedule a
    /// zero timer" (`TransactionTimers`).
    mutating func wait(in waiting: Self, for timer: TransactionTimer, _ duration: Duration) -> [TransactionAction] {
        if duration == .zero { return terminate() }
        self = waiting
        return [.startTimer(timer, after: duration)]
    }
}

extension ClientInviteTransaction.State: TransactionState {}
extension ClientNonInviteTransaction.State: TransactionState {}
extension ServerInviteTransaction.State: TransactionState {}
extension ServerNonInviteTransaction.State: TransactionState {}
