import SIPMessage

/// The INVITE client transaction of RFC 3261 §17.1.1 (figure 5), with the Accepted state of
/// RFC 6026 §7.2 (figure 5 of RFC 6026).
///
///                                |INVITE from TU
///              Timer A fires     |INVITE sent          Timer B fires
///              Reset A,          V                     or Transport Err.
///              INVITE sent +-----------+               inform TU
///                +---------|  Calling  |---------------------------+
///                |         +-----------+ 2xx                       |
///                +-------->  |  |  300-699 → ACK, resp to TU       |
///                  1xx to TU |  |  2xx to TU ───────► Accepted ──M─┤
///                            V  |                                  |
///                      +-----------+                               |
///                      |Proceeding |── 300-699 ──► Completed ───D───┤
///                      +-----------+                               V
///                                                            Terminated
///
/// A pure value: feed it events, perform the returned actions in order.
public struct ClientInviteTransaction: Sendable {
    public enum State: Sendable, Equatable {
        case calling, proceeding, completed, accepted, terminated
    }

    public private(set) var state: State
    /// The INVITE as sent (its top Via carries the transaction's branch).
    public let request: SIPRequest
    public let reliable: Bool
    public let timers: TransactionTimers
    /// Timer A: INVITE retransmissions, unreliable transports only (§17.1.1.2).
    private var timerA: RetransmitTimer
    /// The current Timer A interval (doubles on each firing, §17.1.1.2).
    public var timerAInterval: Duration { timerA.interval }
    /// The ACK generated for the non-2xx final response, resent on its retransmissions.
    public private(set) var ack: SIPRequest?

    public init(request: SIPRequest, reliable: Bool, timers: TransactionTimers = .rfc3261) {
        self.state = .calling
        self.request = request
        self.reliable = reliable
        self.timers = timers
        self.timerA = RetransmitTimer(.a, initial: timers.a, cap: nil, reliable: reliable)
    }

    /// The TU handed us the INVITE: send it and arm A (unreliable only) and B (§17.1.1.2).
    public mutating func start() -> [TransactionAction] {
        precondition(state == .calling, "start() called twice")
        return [.send(.request(request))] + timerA.start() + [.startTimer(.b, after: timers.b)]
    }

    public mutating func receivedResponse(_ response: SIPResponse) -> [TransactionAction] {
        switch (state, response.statusCode) {
        case (.calling, 100...199), (.proceeding, 100...199):
            // §17.1.1.2: a provisional in Calling moves to Proceeding and stops the
            // retransmissions; Timer B only matters in Calling, so it stops too. Every
            // provisional is passed to the TU.
            let wasCalling = state == .calling
            state = .proceeding
            var actions: [TransactionAction] = []
            if wasCalling { actions = timerA.cancel() + [.cancelTimer(.b)] }
            actions.append(.passToTU(.response(response)))
            return actions

        case (.calling, 200...299), (.proceeding, 200...299):
            // RFC 6026 §8.4 (replacing §17.1.1.2): a 2xx moves to Accepted, is passed to the
            // TU and Timer M starts; the TU generates the ACK for 2xx itself (§13.2.2.4).
            let stop = stopCallingTimers()
            state = .accepted
            return stop + [.startTimer(.m, after: timers.m), .passToTU(.response(response))]

        case (.calling, 300...699), (.proceeding, 300...699):
            // §17.1.1.2: a final non-2xx moves to Completed, the transaction sends the ACK
            // (§17.1.1.3), passes the response up and starts Timer D (0 on reliable).
            let ack = Self.makeACK(for: request, response: response)
            self.ack = ack
            var actions = stopCallingTimers()
            actions.append(.send(.request(ack)))
            actions.append(.passToTU(.response(response)))
            return actions + state.wait(in: .completed, for: .d, timers.d(reliable: reliable))

        case (.completed, 300...699):
            // §17.1.1.2: retransmissions of the final response in Completed make the
            // transaction resend the ACK; they are not passed to the TU.
            return ack.map { [.send(.request($0))] } ?? []

        case (.accepted, 200...299):
            // RFC 6026 §8.4: retransmitted (or forked) 2xx in Accepted go to the TU, which
            // ACKs each of them.
            return [.passToTU(.response(response))]

        default:
            // Anything else (a 1xx after a final, a non-2xx in Accepted, …) is absorbed.
            return []
        }
    }

    public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
        switch (state, timer) {
        case (.calling, .a) where !reliable:
            // §17.1.1.2: on Timer A, retransmit and double the interval (no cap for INVITE).
            return timerA.fired(resending: .request(request))
        case (.calling, .b):
            // §17.1.1.2: Timer B in Calling → inform the TU of the timeout, Terminated.
            return state.terminate(timerA.cancel() + [.timeout])
        case (.completed, .d):
            // §17.1.1.2: Timer D in Completed → Terminated.
            return state.terminate()
        case (.accepted, .m):
            // RFC 6026 §8.4: Timer M in Accepted → Terminated.
            return state.terminate()
        default:
            return []
        }
    }

    /// §17.1.1.2 (and RFC 6026 §8.4 for Accepted): a transport failure in Calling, or while
    /// sending the ACK in Completed, informs the TU and terminates.
    public mutating func transportFailed() -> [TransactionAction] {
        switch state {
        case .calling:
            return state.terminate(timerA.cancel() + [.cancelTimer(.b), .transportError])
        case .completed:
            return state.terminate([.cancelTimer(.d), .transportError])
        case .proceeding, .accepted, .terminated:
            return []
        }
    }

    /// Timers A and B run only in Calling (they were stopped on entering Proceeding).
    /// Call before leaving the state.
    private func stopCallingTimers() -> [TransactionAction] {
        guard state == .calling else { return [] }
        return timerA.cancel() + [.cancelTimer(.b)]
    }

    /// §17.1.1.3: the ACK for a non-2xx final response: Request-URI, Call-ID, From and CSeq
    /// number of the INVITE, CSeq method ACK, To of the response (with its tag), a single
    /// Via equal to the INVITE's top Via, and the INVITE's Route header fields.
    public static func makeACK(for invite: SIPRequest, response: SIPResponse) -> SIPRequest {
        SIPRequest(method: .ack, uri: invite.uri, vias: invite.topVia.map { [$0] } ?? [],
                   from: invite.from, to: response.to, callID: invite.callID,
                   cSeq: CSeq(sequence: invite.cSeq.sequence, method: .ack), maxForwards: 70,
                   routes: invite.routes)
    }
}
