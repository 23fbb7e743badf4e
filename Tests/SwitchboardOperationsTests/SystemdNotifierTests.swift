import Foundation
import SwitchboardOperations
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) without libsystemd: one datagram of `KEY=value` lines to `$NOTIFY_SOCKET`,
/// received here on a real Unix datagram socket, as systemd would.
@Suite struct SystemdNotifierTests {
    /// A bound `AF_UNIX` datagram socket in a fresh directory: systemd's end of the protocol.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("s").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() { raw[i] = b }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram, or nil after 2 s.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }

        deinit {
            close(fd)
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }
    }

    @Test func assignmentsArriveAsOneDatagram() throws {
        let systemd = try NotifySocket()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path]))
        #expect(notifier.send(["READY=1", SystemdNotifier.status("Ready: 0 calls in progress")]))
        #expect(systemd.receive() == "READY=1\nSTATUS=Ready: 0 calls in progress")
        #expect(notifier.send("WATCHDOG=1"))
        #expect(systemd.receive() == "WATCHDOG=1")
    }

    @Test func withoutAUsableSocketThereIsNoNotifier() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
    }

    @Test func theWatchdogIsPingedAtHalfItsTimeoutAndOnlyForUs() throws {
        let systemd = try NotifySocket()
        let ours = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(ours?.watchdogInterval == .seconds(2))
        let anyPid = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "1000000"])
        #expect(anyPid?.watchdogInterval == .milliseconds(500))
        let another = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(another != nil)
        #expect(another?.watchdogInterval == nil)
        let none = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path])
        #expect(none?.watchdogInterval == nil)
    }

    @Test func statusIsOneLine() {
        #expect(SystemdNotifier.status("a\nb") == "STATUS=a b")
        #expect(SystemdNotifier.monotonicMicroseconds() > 0)
    }
}
