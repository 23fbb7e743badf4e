import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify(3) protocol without libsystemd: newline-separated `KEY=value` assignments
/// in one datagram to the Unix socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the
/// abstract namespace). Without `$NOTIFY_SOCKET` (not started by systemd with `Type=notify`)
/// every call is a no-op, like libsystemd's.
///
/// Thread-safe: each `send` is one `sendto(2)` on a socket that never changes.
public final class SystemdNotifier: Sendable {
    private let fd: Int32
    private let address: [UInt8]  // sun_path bytes (abstract: leading NUL)
    /// Half of `$WATCHDOG_USEC` (sd_watchdog_enabled(3) advises pinging at half the timeout),
    /// or nil when systemd runs no watchdog for us.
    public let watchdogInterval: Duration?

    /// nil when `$NOTIFY_SOCKET` is unset, empty or unusable.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty,
              path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        var bytes = Array(path.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.address = bytes
        // WATCHDOG_PID, when set, names the process the watchdog is meant for.
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    deinit { close(fd) }

    /// Sends `assignments` (e.g. `["READY=1", "STATUS=…"]`) as one datagram.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        let message = Array(assignments.joined(separator: "\n").utf8)
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &sa.sun_path) { raw in
            for (i, b) in address.enumerated() { raw[i] = b }
        }
        // Abstract names are not NUL-terminated: the length says where they end.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count + (address.first == 0 ? 0 : 1))
        let sent = withUnsafePointer(to: &sa) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length) }
            }
        }
        return sent == message.count
    }

    @discardableResult
    public func send(_ assignment: String) -> Bool { send([assignment]) }

    /// `MONOTONIC_USEC=` for `RELOADING=1` (systemd 253+ uses it to match the reload).
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    /// STATUS= text is one line: newlines would start new assignments.
    public static func status(_ text: String) -> String {
        "STATUS=" + text.replacingOccurrences(of: "\n", with: " ")
    }
}
