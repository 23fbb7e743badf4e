import SIPMessage

/// Identifies a client transaction created by `TransactionLayer.sendRequest(_:to:)` or
/// `TransactionLayer.cancel(clientTransaction:reason:)`. Never reused by a layer.
public struct ClientTransactionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "ctx-\(rawValue)" }
}

/// Identifies a server transaction; the TU answers the request with
/// `TransactionLayer.respond(_:on:)`. Never reused by a layer.
public struct ServerTransactionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "stx-\(rawValue)" }
}

/// Why a transaction ended without a (final) exchange.
public enum TransactionFailure: Sendable, Hashable {
    /// Timer B or F (client: no final response), Timer H (server INVITE: no ACK).
    case timeout
    /// The transport could not send (RFC 3261 §17.1.4, §17.2.4).
    case transportError

    /// The status a client TU should act on as if received (RFC 3261 §8.1.3.1, §16.7):
    /// 408 Request Timeout for a timeout, 503 Service Unavailable for a transport error.
    public var equivalentStatusCode: Int {
        switch self {
        case .timeout: return 408
        case .transportError: return 503
        }
    }
}

/// The transaction user (RFC 3261 §17: UAC/UAS core, here the B2BUA call engine).
///
/// Every method is called on the layer's event loop, from inside `receive(_:from:)`, a timer,
/// or a layer method the TU called (the TU may call back into the layer from any of them).
public protocol TransactionUser: AnyObject {
    /// A new request (not ACK, not CANCEL) created server transaction `transaction`;
    /// answer it with `respond(_:on:)`.
    func didReceiveRequest(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID)
    /// A response (provisional, final, or a retransmitted 2xx to INVITE) for a client transaction.
    func didReceiveResponse(_ response: SIPResponse, transaction: ClientTransactionID)
    /// The peer cancelled the INVITE of `transaction` (RFC 3261 §9.2). The layer has already
    /// answered the CANCEL with 200; the TU should now send 487 on `transaction`.
    func didReceiveCancel(_ cancel: SIPRequest, for transaction: ServerTransactionID)
    /// An ACK for a 2xx: it belongs to the dialog, not to a transaction (RFC 3261 §17.1.1.3,
    /// RFC 6026 §8.7). `transaction` is the INVITE server transaction in Accepted when the
    /// ACK matched one, nil otherwise (the usual case: an ACK for 2xx has its own branch).
    func didReceiveAckFor2xx(_ ack: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID?)
    /// A client transaction ended without a final response. Treat `.timeout` as a 408 and
    /// `.transportError` as a 503 (`TransactionFailure.equivalentStatusCode`).
    func clientTransactionDidFail(_ transaction: ClientTransactionID, reason: TransactionFailure)
    /// A server transaction failed: no ACK for a non-2xx final response (Timer H), or the
    /// transport could not deliver a response.
    func serverTransactionDidFail(_ transaction: ServerTransactionID, reason: TransactionFailure)
}

/// Misuse of the `TransactionLayer` API by the TU.
public enum TransactionLayerError: Error, Sendable, Equatable {
    /// The request has no Via: the TU must add its own top Via (the layer fills in the branch).
    case missingVia
    /// ACK is not sent in a transaction: use `sendAck(_:to:)`.
    case ackHasNoTransaction
    /// CANCEL is built by `cancel(clientTransaction:reason:)`.
    case cancelIsBuiltByTheLayer
    /// Another client transaction already uses that branch and method.
    case duplicateBranch(String)
    /// The transaction does not exist (never did, or has terminated).
    case unknownTransaction
    /// The response is not allowed in the transaction's state (e.g. a second final response).
    case responseNotAllowed(statusCode: Int)
    /// `cancel(clientTransaction:)` on a transaction that is not an INVITE.
    case notAnInvite
}
