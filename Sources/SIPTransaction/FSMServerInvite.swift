import SIPMessage

/// The INVITE server transaction of RFC 3261 §17.2.1 (figure 7) with the Accepted state of
/// RFC 6026 §7.1 (figure 7 of RFC 6026).
///
///                  |INVITE, pass to TU (by the driver); 100 if TU silent for 200 ms
///   INVITE         V
///   send resp +-----------+ 2xx from TU, send ─────────► Accepted ──L──┐
///      +------| Proceeding| 1xx from TU, send (self)        ▲ 2xx from  |
///      +----->+-----------+                                 | TU: send  |
///                  | 300-699 from TU, send                  ACK → TU    |
///   INVITE         V              Timer H / Transport Err. → inform TU  |
///   send resp +-----------+──────────────────────────────────────────────┤
///      +------| Completed |  Timer G: send response                      |
///      +----->+-----------+                                              |
///                  | ACK                                                 |
///                  V                                                     |
///             +-----------+ ACK (absorbed)                               |
///             | Confirmed |──── Timer I ─────────────────────────────────┤
///             +-----------+                                              V
///                                                                   Terminated
public struct ServerInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case proceeding, completed, confirmed, accepted, terminated
    }

    public private(set) var state: State
    /// The INVITE that created the transaction.
    public let request: SIPRequest
    public let reliable: Bool
    public let timers: TransactionTimers
    /// Send 100 Trying on our own when the TU sent no provisional within 200 ms (§17.2.1).
    public let sendsTryingAutomatically: Bool
    /// The most recent provisional response sent (resent on INVITE retransmissions).
    public private(set) var lastProvisional: SIPResponse?
    /// The non-2xx final response sent (resent on INVITE retransmissions and Timer G in
    /// Completed). A 2xx is not kept: in Accepted the TU retransmits it (RFC 6026 §8.7) and
    /// the transaction only absorbs INVITE retransmissions, so holding the response for
    /// Timer L's 32 s would only cost memory at every call set-up.
    public private(set) var finalResponse: SIPResponse?
    /// The To tag of the last response sent (RFC 2543 ACK matching, CANCEL's 200).
    public private(set) var lastToTag: String?
    /// Timer G: final-response retransmissions in Completed, unreliable only (§17.2.1).
    private var timerG: RetransmitTimer
    /// The current Timer G interval.
    public var timerGInterval: Duration { timerG.interval }
    private var tryingTimerRunning = false

    public init(request: SIPRequest, reliable: Bool, timers: TransactionTimers = .rfc3261,
                sendsTryingAutomatically: Bool = true) {
        precondition(request.method == .invite, "not an INVITE")
        self.state = .proceeding
        self.request = request
        self.reliable = reliable
        self.timers = timers
        self.sendsTryingAutomatically = sendsTryingAutomatically
        self.timerG = RetransmitTimer(.g, initial: timers.g, cap: timers.t2, reliable: reliable)
    }

    /// §17.2.1: the transaction is created in Proceeding; it MUST send a 100 Trying unless it
    /// knows the TU will send a provisional or final response within 200 ms.
    public mutating func start() -> [TransactionAction] {
        guard sendsTryingAutomatically, state == .proceeding else { return [] }
        tryingTimerRunning = true
        return [.startTimer(.trying, after: timers.trying)]
    }

    /// A request matched to this transaction (§17.2.3): an INVITE retransmission or an ACK.
    public mutating func receivedRequest(_ request: SIPRequest) -> [TransactionAction] {
        if request.method == .ack {
            switch state {
            case .completed:
                // §17.2.1: ACK in Completed → Confirmed; Timer G stops, Timer H stops, Timer I
                // starts (T4 unreliable; 0 reliable, i.e. Terminated at once).
                return timerG.cancel() + [.cancelTimer(.h)]
                    + state.wait(in: .confirmed, for: .i, timers.i(reliable: reliable))
            case .accepted:
                // RFC 6026 §8.7: an ACK (for the 2xx) in Accepted is passed to the TU.
                return [.passToTU(.request(request))]
            case .proceeding, .confirmed, .terminated:
                // §17.2.1: ACKs in Confirmed are absorbed; an ACK before any final
                // response has nothing to acknowledge.
                return []
            }
        }
        switch state {
        case .proceeding:
            // §17.2.1: a retransmitted INVITE in Proceeding → resend the most recent provisional.
            return lastProvisional.map { [.send(.response($0))] } ?? []
        case .completed:
            // §17.2.1: a retransmitted INVITE in Completed → resend the final response.
            return finalResponse.map { [.send(.response($0))] } ?? []
        case .accepted, .confirmed, .terminated:
            // RFC 6026 §8.7: retransmitted INVITEs in Accepted are absorbed (the TU is
            // already retransmitting its 2xx); likewise in Confirmed.
            return []
        }
    }

    /// The TU sends a response on this transaction. An empty result means the response is
    /// not allowed in the current state (e.g. a second non-2xx final) and was not sent.
    public mutating func sendResponse(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.proceeding, 100...199):
            // §17.2.1: provisional responses from the TU are sent; stay in Proceeding.
            lastProvisional = response
            lastToTag = response.to.tag
            return stopTrying() + [.send(.response(response))]
        case (.proceeding, 200...299):
            // RFC 6026 §8.5: a 2xx from the TU is sent and the transaction enters Accepted,
            // starting Timer L.
            state = .accepted
            lastProvisional = nil  // only Proceeding resends it
            lastToTag = response.to.tag
            return stopTrying() + [.send(.response(response)), .startTimer(.l, after: timers.l)]
        case (.proceeding, 300...699):
            // §17.2.1: a 300-699 from the TU is sent, the transaction enters Completed;
            // Timer G (unreliable only) and Timer H start.
            state = .completed
            finalResponse = response
            lastProvisional = nil
            lastToTag = response.to.tag
            return stopTrying() + [.send(.response(response))] + timerG.start() + [.startTimer(.h, after: timers.h)]
        case (.accepted, 200...299):
            // RFC 6026 §8.7: 2xx retransmissions from the TU in Accepted are sent.
            return [.send(.response(response))]
        default:
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.proceeding, .trying):
            // §17.2.1: the TU sent nothing within 200 ms: send 100 Trying ourselves.
            tryingTimerRunning = false
            guard lastProvisional == nil else { return [] }
            let trying = SIPResponse(to: request, statusCode: 100)
            lastProvisional = trying
            return [.send(.response(trying))]
        case (.completed, .g) where !reliable:
            // §17.2.1: Timer G → resend the final response, G = MIN(2·G, T2).
            guard let finalResponse else { return [] }
            return timerG.fired(resending: .response(finalResponse))
        case (.completed, .h):
            // §17.2.1: Timer H in Completed (no ACK arrived) → Terminated, inform the TU.
            return state.terminate(timerG.cancel() + [.timeout])
        case (.confirmed, .i):
            // §17.2.1: Timer I in Confirmed → Terminated.
            return state.terminate()
        case (.accepted, .l):
            // RFC 6026 §8.7: Timer L in Accepted → Terminated.
            return state.terminate()
        default:
            return []
        }
    }

    /// §17.2.4: the transport failed to send a response.
    public mutating func transportFailed() -> [TransactionAction] {
        switch state {
        case .proceeding, .completed:
            // §17.2.1 (figure 7): Transport Err. in Proceeding or Completed → inform TU, Terminated.
            return state.terminate(stopTrying() + timerG.cancel() + [.cancelTimer(.h), .transportError])
        case .accepted:
            // RFC 6026 §8.7: a failure to send a 2xx in Accepted is reported to the TU; the
            // transaction stays in Accepted until Timer L.
            return [.transportError]
        case .confirmed, .terminated:
            return []
        }
    }

    private mutating func stopTrying() -> [TransactionAction] {
        guard tryingTimerRunning else { return [] }
        tryingTimerRunning = false
        return [.cancelTimer(.trying)]
    }
}
