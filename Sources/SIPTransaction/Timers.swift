/// RFC 3261 §17 timer values (Table 4 in §A) plus the RFC 6026 timers L and M.
///
/// Only T1, T2, T4 and the unreliable Timer D are configurable; every other timer is
/// derived from them exactly as RFC 3261 §A and RFC 6026 §8.11 prescribe. Timers that the
/// RFC sets to zero on reliable transports (D, I, J, K) take the `reliable` flag; a zero
/// duration means "move to Terminated at once", never "schedule a zero timer".
public struct TransactionTimers: Sendable, Equatable {
    /// RTT estimate. Default 500 ms (RFC 3261 §17.1.1.1).
    public var t1: Duration
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4 s.
    public var t2: Duration
    /// Maximum duration a message remains in the network. Default 5 s.
    public var t4: Duration
    /// Timer D on unreliable transports: "at least 32 seconds" (RFC 3261 §17.1.1.2).
    public var unreliableTimerD: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5),
                unreliableTimerD: Duration = .seconds(32)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
        self.unreliableTimerD = unreliableTimerD
    }

    /// The RFC defaults.
    public static let rfc3261 = TransactionTimers()

    /// Timer A: INVITE request retransmit interval, initially T1, doubling (§17.1.1.2).
    public var a: Duration { t1 }
    /// Timer B: INVITE transaction timeout, 64·T1 (§17.1.1.2).
    public var b: Duration { t1 * 64 }
    /// Timer D: wait time for response retransmits, ≥ 32 s unreliable, 0 reliable (§17.1.1.2).
    public func d(reliable: Bool) -> Duration { reliable ? .zero : unreliableTimerD }
    /// Timer E: non-INVITE request retransmit interval, initially T1 (§17.1.2.2).
    public var e: Duration { t1 }
    /// Timer F: non-INVITE transaction timeout, 64·T1 (§17.1.2.2).
    public var f: Duration { t1 * 64 }
    /// Timer G: INVITE response retransmit interval, initially T1 (§17.2.1).
    public var g: Duration { t1 }
    /// Timer H: wait time for ACK receipt, 64·T1 (§17.2.1).
    public var h: Duration { t1 * 64 }
    /// Timer I: wait time for ACK retransmits, T4 unreliable, 0 reliable (§17.2.1).
    public func i(reliable: Bool) -> Duration { reliable ? .zero : t4 }
    /// Timer J: wait time for non-INVITE request retransmits, 64·T1 unreliable, 0 reliable (§17.2.2).
    public func j(reliable: Bool) -> Duration { reliable ? .zero : t1 * 64 }
    /// Timer K: wait time for non-INVITE response retransmits, T4 unreliable, 0 reliable (§17.1.2.2).
    public func k(reliable: Bool) -> Duration { reliable ? .zero : t4 }
    /// Timer L: wait time for accepted INVITE request retransmits, 64·T1 (RFC 6026 §8.11).
    public var l: Duration { t1 * 64 }
    /// Timer M: wait time for retransmission of 2xx to INVITE, 64·T1 (RFC 6026 §8.11).
    public var m: Duration { t1 * 64 }
    /// The server INVITE transaction sends 100 Trying itself when the TU has not sent a
    /// provisional response within 200 ms (RFC 3261 §17.2.1).
    public var trying: Duration { .milliseconds(200) }
}

/// The timers of RFC 3261 §17 and RFC 6026 a transaction may ask its driver to run.
public enum TransactionTimer: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case a, b, d, e, f, g, h, i, j, k, l, m
    /// The 200 ms automatic 100 Trying of the server INVITE transaction (§17.2.1).
    case trying

    public var description: String { self == .trying ? "Timer 100" : "Timer \(rawValue.uppercased())" }
}
