import Foundation
import SwitchboardConfig

/// What the SIP service needs from the operations side: systemd notifications, metrics, the
/// drain grace, and the last reload's outcome for `STATUS=`. (The leg journal is flushed
/// after the service group returns, when `switchboardd` stops its `JournalLegSink`.)
public struct DaemonOperations: Sendable {
    public var notifier: SystemdNotifier?
    public var metrics: DaemonMetrics?
    public var drainGrace: Duration = .seconds(30)
    /// How often `STATUS=` is refreshed.
    public var statusInterval: Duration = .seconds(5)
    public let reloads = ReloadStatus()

    public init() {}
}

/// The last reload's outcome, written on the reload queue and read on the SIP loop.
public final class ReloadStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var _last: DialplanReloader.Outcome?

    public init() {}

    public var last: DialplanReloader.Outcome? {
        get { lock.lock(); defer { lock.unlock() }; return _last }
        set { lock.lock(); _last = newValue; lock.unlock() }
    }

    /// "; last reload failed: …" while the most recent reload was refused.
    public var suffix: String {
        guard let last, !last.succeeded else { return "" }
        return "; " + last.summary.replacingOccurrences(of: "reload failed", with: "last reload failed")
    }
}
