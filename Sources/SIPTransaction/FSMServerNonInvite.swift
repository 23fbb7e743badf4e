import SIPMessage

/// The non-INVITE server transaction of RFC 3261 §17.2.2 (figure 8).
///
///                   |Request received, pass to TU (by the driver)
///                   V
///             +-----------+  request: absorbed
///             |  Trying   |── 1xx from TU, send ──► Proceeding (request: resend 1xx)
///             +-----------+                            |
///                   | 200-699 from TU, send            | 200-699 from TU, send
///                   V                                  V
///             +-----------+  request: resend final response
///             | Completed |── Timer J (64·T1 unreliable, 0 reliable) ──► Terminated
///             +-----------+
///   Transport Err. in Proceeding or Completed → inform TU, Terminated.
public struct ServerNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case trying, proceeding, completed, terminated
    }

    public private(set) var state: State
    public let request: SIPRequest
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var lastResponse: SIPResponse?

    public init(request: SIPRequest, reliable: Bool, timers: TransactionTimers = .rfc3261) {
        precondition(request.method != .invite && request.method != .ack, "not a non-INVITE request")
        self.state = .trying
        self.request = request
        self.reliable = reliable
        self.timers = timers
    }

    /// A retransmission of the request (§17.2.3 matched it to this transaction).
    public mutating func receivedRequest(_ request: SIPRequest) -> [TransactionAction] {
        switch state {
        case .trying:
            // §17.2.2: retransmissions in Trying are discarded.
            return []
        case .proceeding, .completed:
            // §17.2.2: in Proceeding resend the most recent provisional; in Completed resend
            // the final response.
            return lastResponse.map { [.send(.response($0))] } ?? []
        case .terminated:
            return []
        }
    }

    /// The TU sends a response. An empty result means it is not allowed (after the final).
    public mutating func sendResponse(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.trying, 100...199), (.proceeding, 100...199):
            // §17.2.2: a provisional from the TU is sent and moves Trying → Proceeding.
            state = .proceeding
            lastResponse = response
            return [.send(.response(response))]
        case (.trying, 200...699), (.proceeding, 200...699):
            // §17.2.2: a final response is sent, the transaction enters Completed and
            // Timer J starts (64·T1 unreliable; 0 reliable, i.e. Terminated at once).
            lastResponse = response
            return [.send(.response(response))] + state.wait(in: .completed, for: .j, timers.j(reliable: reliable))
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        guard state == .completed, timer == .j else { return [] }
        // §17.2.2: Timer J in Completed → Terminated.
        return state.terminate()
    }

    /// §17.2.2 / §17.2.4: a transport failure in Proceeding or Completed informs the TU.
    public mutating func transportFailed() -> [TransactionAction] {
        switch state {
        case .trying, .proceeding:
            return state.terminate([.transportError])
        case .completed:
            return state.terminate([.cancelTimer(.j), .transportError])
        case .terminated:
            return []
        }
    }
}
