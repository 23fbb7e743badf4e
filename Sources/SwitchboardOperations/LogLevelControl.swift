import Foundation
import Logging

/// The daemon's log level, shared by every `Logger` so a SIGHUP reload can change it for
/// loggers that already exist (swift-log copies a handler's level into each logger).
public final class LogLevelControl: @unchecked Sendable {
    public static let shared = LogLevelControl()
    private let lock = NSLock()
    private var _level: Logger.Level = .info

    public var level: Logger.Level {
        get { lock.lock(); defer { lock.unlock() }; return _level }
        set { lock.lock(); _level = newValue; lock.unlock() }
    }
}
