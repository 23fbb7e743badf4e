import SIPMessage
import SIPTransaction
import SIPTransport
import SwitchboardOperations

/// Lets the transaction layer send through the NIO transport: requests to the peer the layer
/// names, responses by RFC 3261 §18.2.2 (the request's connection, or `received`/`rport`).
final class TransportAdapter: TransactionTransport, @unchecked Sendable {
    let transport: SIPTransport
    let metrics: DaemonMetrics?

    init(transport: SIPTransport, metrics: DaemonMetrics? = nil) {
        self.transport = transport
        self.metrics = metrics
    }

    func send(_ message: SIPMessage, to peer: SIPPeer) throws {
        switch message {
        case .request:
            transport.send(message, to: peer)
        case .response(let response):
            metrics?.responseSent(status: response.statusCode)
            transport.sendResponse(response, requestSource: peer)
        }
    }
}
