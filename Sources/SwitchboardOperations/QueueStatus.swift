import AdminAPI
import CallEngine
import CoreMetrics
import Foundation
import Synchronization

/// Queue state for operators: `GET /queues` (JSON, read by `switchboard queues`) and
/// Prometheus gauges per queue. Labels are the account and plan names from the dialplans
/// (bounded by what admins wrote), never per-call values.
public final class QueueStatus: Sendable {
    private let factory: any MetricsFactory
    private let gauges = Mutex<[String: CoreMetrics.Gauge]>([:])

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Records the gauges of every queue in `snapshots` (called on the SIP loop at scrape time).
    public func record(_ snapshots: [QueueSnapshot]) {
        for queue in snapshots {
            let labels = [("account", queue.account), ("plan", queue.plan)]
            gauge("switchboard_queue_waiting_callers", labels).record(queue.waiting.count)
            for state in ["idle", "ringing", "busy", "wrap-up"] {
                gauge("switchboard_queue_agents", labels + [("state", state)])
                    .record(queue.agents.filter { $0.state.rawValue == state }.count)
            }
            gauge("switchboard_queue_answered", labels).record(queue.answered)
            gauge("switchboard_queue_timed_out", labels).record(queue.timedOut)
            gauge("switchboard_queue_abandoned", labels).record(queue.abandoned)
        }
    }

    private func gauge(_ name: String, _ labels: [(String, String)]) -> CoreMetrics.Gauge {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return gauges.withLock { cache in
            if let g = cache[key] { return g }
            let g = factory.gauge(name, labels)
            cache[key] = g
            return g
        }
    }

    /// The JSON document of `GET /queues`. Callers' numbers are personal data: without the
    /// admin token they are masked (`CallerMask`), which still lets an operator tell callers
    /// apart and see where they call from.
    public static func json(_ snapshots: [QueueSnapshot], revealCallers: Bool) -> [UInt8] {
        AdminDocumentCoding.encode(document(snapshots, revealCallers: revealCallers)) + [0x0A]
    }

    public static func document(_ snapshots: [QueueSnapshot], revealCallers: Bool) -> QueueDocument {
        QueueDocument(queues: snapshots.map { queue in
            QueueDocument.Queue(
                account: queue.account, plan: queue.plan, strategy: queue.strategy,
                waiting: queue.waiting.map {
                    .init(call: $0.callID.uuidString, position: $0.position,
                          caller: revealCallers ? $0.caller : CallerMask.mask($0.caller),
                          waitedSeconds: $0.waitedSeconds, ringing: $0.ringing)
                },
                agents: queue.agents.map { .init(target: $0.target, state: $0.state.rawValue, callsTaken: $0.callsTaken) },
                offered: queue.offered, answered: queue.answered, timedOut: queue.timedOut, abandoned: queue.abandoned)
        })
    }
}
