import SIPMessage
import SIPTransaction

/// A 2xx to an INVITE (initial or re-INVITE) we sent and are retransmitting until its ACK
/// comes (RFC 3261 §13.3.1.4, RFC 6026: the server transaction leaves this to its TU).
/// Over every transport: a hop behind a TCP carrier edge may be UDP, and the ACK is the
/// only proof the far end got it. Matched by our tag and the INVITE's CSeq number.
final class Retransmitted2xx {
    let response: SIPResponse
    let peer: SIPPeer
    /// The dialog's local tag and the CSeq number the ACK will carry.
    let localTag: String
    let cseq: UInt32
    var interval: Duration
    var retransmitTimer: (any TransactionTimerHandle)?
    var ackTimeout: (any TransactionTimerHandle)?

    init(response: SIPResponse, peer: SIPPeer, localTag: String, t1: Duration) {
        self.response = response
        self.peer = peer
        self.localTag = localTag
        self.cseq = response.cSeq.sequence
        self.interval = t1
    }

    func acknowledged(by ack: SIPRequest) -> Bool {
        ack.to.tag == localTag && ack.cSeq.sequence == cseq
    }

    func stop() {
        retransmitTimer?.cancel()
        ackTimeout?.cancel()
        retransmitTimer = nil
        ackTimeout = nil
    }
}

extension CallEngine {
    /// Sends `response` again at T1, 2·T1, … capped at T2 until `stop()`; after 64·T1 without
    /// an ACK, `noAck` runs (§13.3.1.4: the session SHOULD then be ended).
    func retransmitUntilAcked(_ response: SIPResponse, to peer: SIPPeer, localTag: String,
                              noAck: @escaping () -> Void) -> Retransmitted2xx {
        let pending = Retransmitted2xx(response: response, peer: peer, localTag: localTag, t1: configuration.t1)
        scheduleRetransmit(pending)
        pending.ackTimeout = clock.schedule(after: configuration.t1 * 64) { [weak pending] in
            guard let pending, pending.ackTimeout != nil else { return }
            pending.stop()
            noAck()
        }
        return pending
    }

    private func scheduleRetransmit(_ pending: Retransmitted2xx) {
        pending.retransmitTimer = clock.schedule(after: pending.interval) { [weak self, weak pending] in
            guard let self, let pending, pending.retransmitTimer != nil else { return }
            self.layer.sendStateless(.response(pending.response), to: pending.peer)
            pending.interval = min(pending.interval * 2, self.configuration.t2)
            self.scheduleRetransmit(pending)
        }
    }
}
