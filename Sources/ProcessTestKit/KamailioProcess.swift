import Foundation
import SIPTestKit
#if canImport(Glibc)
import Glibc
#endif

/// Kamailio (Debian's 5.6 package) as the SIP load balancer in front of test nodes: the
/// dispatcher config checked in under bench/cluster, listening on one loopback UDP port,
/// with the nodes as dispatcher set 1. `stop()` must be called in every outcome (`defer`).
///
/// Kamailio forks worker processes, and one started from the test runner was seen to
/// ignore SIGTERM: `stop()` gives SIGTERM a short grace, then SIGKILLs the main process
/// and every child it had, by PID (only processes named `kamailio` whose parent was ours).
public final class KamailioProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public let logURL: URL
    public private(set) var pid: pid_t = 0
    private var reaped = false
    private var children: Set<Int32> = []

    public static let binary = "/usr/sbin/kamailio"
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: binary)
            && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/kamailio/modules/dispatcher.so")
    }
    public static let dispatcherConfig = DaemonProcess.packageRoot.appendingPathComponent("bench/cluster/kamailio-dispatcher.cfg").path

    /// - Parameter nodes: the nodes' SIP URIs ("sip:127.0.0.2:5062"), dispatcher set 1.
    public init(port: Int = FreePort.next(), nodes: [String], pingInterval: Int = 1) throws {
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kamailio-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("kamailio.log")
        let list = directory.appendingPathComponent("dispatcher.list")
        try nodes.map { "1 \($0)\n" }.joined().write(to: list, atomically: true, encoding: .utf8)
        // -DD: the main process stays in the foreground (our child); -E: log to stderr.
        let argv = [
            Self.binary, "-f", Self.dispatcherConfig, "-DD", "-E", "-Y", directory.path,
            "-P", directory.appendingPathComponent("kamailio.pid").path, "-m", "64", "-M", "8",
            "-A", "LISTEN=udp:127.0.0.1:\(port)", "-A", "DSLIST=\"\(list.path)\"", "-A", "PING_INTERVAL=\(pingInterval)", "-A", "CHILDREN=2",
        ]
        try spawn(argv)
        let deadline = Date().addingTimeInterval(10)
        while isRunning, Date() < deadline, FreePort.bind(Int32(SOCK_DGRAM.rawValue), host: "127.0.0.1", port: port) == port {
            usleep(20_000)
        }
        usleep(300_000)  // the workers fork after the socket is bound
        guard isRunning else {
            stop()
            throw KamailioError.exited(log: log())
        }
        children = Self.children(of: pid)
    }

    /// posix_spawn + waitpid rather than Foundation.Process: the signal mask and ignored
    /// signals of the test runner's thread would be inherited (a Kamailio started that way
    /// left workers that ignored SIGTERM, and Process never reaped the exited main process).
    /// Here the child starts with an empty mask and default dispositions.
    private func spawn(_ argv: [String]) throws {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logURL.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cArgs, environ)
        guard rc == 0 else { throw KamailioError.spawn(rc) }
    }

    /// Reaps the main process once it has exited (no blocking).
    public var isRunning: Bool {
        guard pid > 0, !reaped else { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r < 0 && errno == ECHILD) { reaped = true }
        return !reaped
    }

    public func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, one second's grace, then SIGKILL for the main process and its workers.
    public func stop() {
        if isRunning {
            children.formUnion(Self.children(of: pid))
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(1)
            while isRunning && Date() < deadline { usleep(10_000) }
            if isRunning {
                kill(pid, SIGKILL)
                let hard = Date().addingTimeInterval(5)
                while isRunning && Date() < hard { usleep(10_000) }
            }
        }
        for child in children where Self.command(of: child) == "kamailio" { kill(child, SIGKILL) }
        children = []
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// PIDs whose parent is `pid`, from /proc/PID/stat (field 4).
    static func children(of pid: Int32) -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var out: Set<Int32> = []
        for entry in entries {
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == pid { out.insert(child) }
        }
        return out
    }

    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public enum KamailioError: Error, CustomStringConvertible {
    case exited(log: String)
    case spawn(Int32)
    public var description: String {
        switch self {
        case .exited(let log): "kamailio exited at start:\n\(log)"
        case .spawn(let rc): "posix_spawn kamailio: error \(rc)"
        }
    }
}
