import SIPMessage

/// What a transaction state machine asks its driver (the `TransactionLayer`) to do.
///
/// The machines never do I/O; they return these in the order they must be performed.
public enum TransactionAction: Sendable, Equatable {
    /// Hand the message to the transport, towards the transaction's peer.
    case send(SIPMessage)
    /// Deliver a message to the transaction user: a response (client transactions) or the
    /// ACK of a 2xx received in the Accepted state (server INVITE, RFC 6026 §8.7).
    case passToTU(SIPMessage)
    /// (Re)start a timer; a running timer of the same kind is replaced.
    case startTimer(TransactionTimer, after: Duration)
    case cancelTimer(TransactionTimer)
    /// Tell the TU the transaction timed out (Timer B, F or H).
    case timeout
    /// Tell the TU the transport failed to deliver (RFC 3261 §17.1.4, §17.2.4).
    case transportError
    /// The transaction reached Terminated: the driver forgets it and cancels its timers.
    case terminated
}
