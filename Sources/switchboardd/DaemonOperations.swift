import Foundation
import SwitchboardConfig

/// What the SIP service needs from the operations side: systemd notifications, metrics, the
/// journal to flush, the drain grace, and the last reload's outcome for `STATUS=`.
struct DaemonOperations: Sendable {
    var notifier: SystemdNotifier?
    var metrics: DaemonMetrics?
    var journal: (any LegJournalFlushing)?
    var drainGrace: Duration = .seconds(30)
    /// How often `STATUS=` is refreshed.
    var statusInterval: Duration = .seconds(5)
    let reloads = ReloadStatus()
}

/// The last reload's outcome, written on the reload queue and read on the SIP loop.
final class ReloadStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var _last: DialplanReloader.Outcome?

    var last: DialplanReloader.Outcome? {
        get { lock.lock(); defer { lock.unlock() }; return _last }
        set { lock.lock(); _last = newValue; lock.unlock() }
    }

    /// "; last reload failed: …" while the most recent reload was refused.
    var suffix: String {
        guard let last, !last.succeeded else { return "" }
        return "; " + last.summary.replacingOccurrences(of: "reload failed", with: "last reload failed")
    }
}
