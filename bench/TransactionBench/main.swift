// Matching cost of RFC 2543 server transactions (no z9hG4bK branch, RFC 3261 §17.2.3
// backward compatibility) against the number alive: 1k, 10k, 100k legacy INVITE
// transactions, each probed with retransmissions and a CANCEL-style lookup; RFC 3261
// branches alongside for reference. Matching goes through an index, so the cost per
// lookup should not grow with the table (before issue 13 it was a sorted scan: O(n log n)).
// Run: swift run -c release TransactionBench [probes]   (see bench/README.md)
import Foundation
import SIPMessage
import SIPTestKit
import SIPTransaction

/// Sends nothing: the bench measures matching, not I/O.
final class NullTransport: TransactionTransport {
    var sent = 0
    func send(_ message: SIPMessage, to peer: SIPPeer) throws { sent += 1 }
}

/// Counts new requests only (a matched retransmission never reaches the TU).
final class CountingUser: TransactionUser {
    var requests = 0
    func didReceiveRequest(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) { requests += 1 }
    func didReceiveResponse(_ response: SIPResponse, transaction: ClientTransactionID) {}
    func didReceiveCancel(_ cancel: SIPRequest, for transaction: ServerTransactionID) {}
    func didReceiveAckFor2xx(_ ack: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID?) {}
    func clientTransactionDidFail(_ transaction: ClientTransactionID, reason: TransactionFailure) {}
    func serverTransactionDidFail(_ transaction: ServerTransactionID, reason: TransactionFailure) {}
}

let probes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
let peer = SIPPeer(transport: .udp, host: "192.0.2.10", port: 5060)

func invite(_ n: Int, legacy: Bool) -> SIPRequest {
    SIPTestKit.invite(branch: legacy ? "legacy" : "z9hG4bK-\(n)", callID: "c\(n)@192.0.2.10")
}

func nanoseconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let (s, atto) = (ContinuousClock.now - start).components
    return Double(s) * 1e9 + Double(atto) / 1e9
}

print("transactions  kind      ns/retransmission-match  (\(probes) probes each)")
for legacy in [true, false] {
    for count in [1_000, 10_000, 100_000] {
        let user = CountingUser()
        let layer = TransactionLayer(transport: NullTransport(), clock: FakeClock(), configuration: .init(sendsTryingAutomatically: false))
        layer.user = user
        let requests = (0..<count).map { invite($0, legacy: legacy) }
        for request in requests { layer.receive(.request(request), from: peer) }
        precondition(user.requests == count && layer.activeServerTransactionCount == count)
        // Retransmissions spread over the whole table: each must find its own transaction.
        let ns = nanoseconds {
            for i in 0..<probes { layer.receive(.request(requests[(i &* 7919) % count]), from: peer) }
        }
        precondition(user.requests == count, "a retransmission was not matched")
        let label = legacy ? "RFC 2543" : "RFC 3261"
        print("\(String(count).padding(toLength: 12, withPad: " ", startingAt: 0))  \(label)  \(String(format: "%8.0f", ns / Double(probes)))")
    }
}
