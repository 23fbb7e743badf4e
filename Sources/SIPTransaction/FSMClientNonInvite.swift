import SIPMessage

/// The non-INVITE client transaction of RFC 3261 §17.1.2 (figure 6).
///
///                      |Request from TU, send request
///   Timer E            V
///   send request +-----------+  Timer F or Transport Err. → inform TU
///       +--------|  Trying   |─────────────────────────────────────┐
///       +------->+-----------+── 200-699 → resp to TU ──┐          |
///                  | 1xx to TU                          |          |
///   Timer E        V                                    V          |
///   send req  +-----------+── 200-699 → resp to TU ► Completed ─K──┤
///       +-----|Proceeding |── Timer F / Transport Err. → TU ───────┤
///       +---->+-----------+                                        V
///                                                            Terminated
public struct ClientNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case trying, proceeding, completed, terminated
    }

    public private(set) var state: State
    public let request: SIPRequest
    public let reliable: Bool
    public let timers: TransactionTimers
    /// Timer E: request retransmissions, unreliable transports only (§17.1.2.2).
    private var timerE: RetransmitTimer
    /// The current Timer E interval.
    public var timerEInterval: Duration { timerE.interval }

    public init(request: SIPRequest, reliable: Bool, timers: TransactionTimers = .rfc3261) {
        precondition(request.method != .invite && request.method != .ack, "INVITE and ACK are not non-INVITE transactions")
        self.state = .trying
        self.request = request
        self.reliable = reliable
        self.timers = timers
        self.timerE = RetransmitTimer(.e, initial: timers.e, cap: timers.t2, reliable: reliable)
    }

    /// §17.1.2.2: entering Trying sends the request, sets Timer F (64·T1) and, on unreliable
    /// transports, Timer E (T1).
    public mutating func start() -> [TransactionAction] {
        precondition(state == .trying, "start() called twice")
        return [.send(.request(request))] + timerE.start() + [.startTimer(.f, after: timers.f)]
    }

    public mutating func receivedResponse(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.trying, 100...199), (.proceeding, 100...199):
            // §17.1.2.2: a provisional in Trying moves to Proceeding; every provisional is
            // passed to the TU. (Timer E keeps running; its next interval will be T2.)
            state = .proceeding
            return [.passToTU(.response(response))]

        case (.trying, 200...699), (.proceeding, 200...699):
            // §17.1.2.2: a final response moves to Completed, goes to the TU, and Timer K
            // starts (T4 unreliable; 0 reliable, i.e. Terminated at once).
            return timerE.cancel() + [.cancelTimer(.f), .passToTU(.response(response))]
                + state.wait(in: .completed, for: .k, timers.k(reliable: reliable))

        default:
            // §17.1.2.2: response retransmissions in Completed are absorbed.
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.trying, .e) where !reliable:
            // §17.1.2.2: in Trying, retransmit and reset E to MIN(2·E, T2).
            return timerE.fired(resending: .request(request))
        case (.proceeding, .e) where !reliable:
            // §17.1.2.2: in Proceeding, retransmit and reset E to T2.
            return timerE.fired(resending: .request(request), rearmAt: timers.t2)
        case (.trying, .f), (.proceeding, .f):
            // §17.1.2.2: Timer F in Trying or Proceeding → inform the TU, Terminated.
            return state.terminate(timerE.cancel() + [.timeout])
        case (.completed, .k):
            // §17.1.2.2: Timer K in Completed → Terminated.
            return state.terminate()
        default:
            return []
        }
    }

    /// §17.1.2.2 / §17.1.4: a transport failure in Trying or Proceeding informs the TU.
    public mutating func transportFailed() -> [TransactionAction] {
        switch state {
        case .trying, .proceeding:
            return state.terminate(timerE.cancel() + [.cancelTimer(.f), .transportError])
        case .completed, .terminated:
            return []
        }
    }
}
