import Foundation
import SIPEdge
import SIPMessage

/// The one `EdgePolicy` of the node, shared by the SIP loops behind a lock (issue 12 item 4).
///
/// Chosen over one policy per loop: a flood spread over many Call-IDs reaches every loop, and
/// per-loop buckets would let it through at N times the configured rate, and a ban issued on
/// one loop must hold on all. The lock is held for a table lookup and a little arithmetic
/// (plus, for an untrusted request with a To tag, the current loop's dialog lookup), so
/// loops rarely wait for it.
final class SharedEdge: @unchecked Sendable {
    private let lock = NSLock()
    private let policy: EdgePolicy

    init(_ policy: EdgePolicy) { self.policy = policy }

    func admit(_ request: SIPRequest, from peer: SIPPeer) -> EdgeVerdict {
        lock.withLock { policy.admit(request, from: peer) }
    }

    func admitMalformed(from peer: SIPPeer) -> EdgeVerdict { lock.withLock { policy.admitMalformed(from: peer) } }
    func acceptsPacket(from peer: SIPPeer) -> Bool { lock.withLock { policy.acceptsPacket(from: peer) } }
    func bans() -> [EdgePolicy.Ban] { lock.withLock { policy.bans() } }
    func lift(_ address: String) -> Bool { lock.withLock { policy.lift(address) } }
    func takeSummary() -> EdgePolicy.Counters? { lock.withLock { policy.takeSummary() } }

    /// Counters, active bans and tracked sources in one look (for `/metrics`).
    func metricsSample() -> (counters: EdgePolicy.Counters, bans: Int, sources: Int) {
        lock.withLock { (policy.counters, policy.bans().count, policy.trackedSources) }
    }
}
