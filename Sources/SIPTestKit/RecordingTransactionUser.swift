import SIPMessage
import SIPTransaction

/// A `TransactionUser` that records every callback, with an optional hook to answer
/// new requests synchronously.
public final class RecordingTransactionUser: TransactionUser {
    public enum Event: Equatable, Sendable {
        case request(SIPRequest, from: SIPPeer, ServerTransactionID)
        case response(SIPResponse, ClientTransactionID)
        case cancel(SIPRequest, ServerTransactionID)
        case ackFor2xx(SIPRequest, from: SIPPeer, ServerTransactionID?)
        case clientFailed(ClientTransactionID, TransactionFailure)
        case serverFailed(ServerTransactionID, TransactionFailure)
    }

    public private(set) var events: [Event] = []
    /// Called for each new request after it was recorded.
    public var onRequest: ((SIPRequest, ServerTransactionID) -> Void)?
    /// Called for each CANCEL after it was recorded.
    public var onCancel: ((SIPRequest, ServerTransactionID) -> Void)?

    public init() {}

    public func didReceiveRequest(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) {
        events.append(.request(request, from: peer, transaction))
        onRequest?(request, transaction)
    }

    public func didReceiveResponse(_ response: SIPResponse, transaction: ClientTransactionID) {
        events.append(.response(response, transaction))
    }

    public func didReceiveCancel(_ cancel: SIPRequest, for transaction: ServerTransactionID) {
        events.append(.cancel(cancel, transaction))
        onCancel?(cancel, transaction)
    }

    public func didReceiveAckFor2xx(_ ack: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID?) {
        events.append(.ackFor2xx(ack, from: peer, transaction))
    }

    public func clientTransactionDidFail(_ transaction: ClientTransactionID, reason: TransactionFailure) {
        events.append(.clientFailed(transaction, reason))
    }

    public func serverTransactionDidFail(_ transaction: ServerTransactionID, reason: TransactionFailure) {
        events.append(.serverFailed(transaction, reason))
    }

    public var requests: [(SIPRequest, ServerTransactionID)] {
        events.compactMap { if case .request(let r, _, let id) = $0 { return (r, id) } else { return nil } }
    }

    public var responses: [(SIPResponse, ClientTransactionID)] {
        events.compactMap { if case .response(let r, let id) = $0 { return (r, id) } else { return nil } }
    }

    public var statusCodes: [Int] { responses.map(\.0.statusCode) }

    public func clear() { events.removeAll() }
}
