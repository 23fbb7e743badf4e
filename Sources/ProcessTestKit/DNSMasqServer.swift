import Foundation
import SIPTestKit
#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server for tests: dnsmasq (Debian package dnsmasq-base, see scripts/setup-debian)
/// in the foreground on a free loopback port, answering only from its command line
/// (`--no-resolv --no-hosts`). `stop()` kills it by its PID; call it in every outcome (`defer`).
///
/// Started with posix_spawn, not Foundation's Process: dnsmasq closes every inherited file
/// descriptor at startup, which Foundation takes for the child's exit; its monitor thread then
/// blocks in waitpid on dnsmasq and every other Process.waitUntilExit (SIPp) hangs.
public final class DNSMasqServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public private(set) var pid: pid_t = 0
    private var exited = false

    public static var binary: String? {
        ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// - Parameter records: dnsmasq record options, e.g. `--srv-host=_sip._udp.pbx.test,callee.pbx.test,5070`
    ///   and `--host-record=callee.pbx.test,127.0.0.1`.
    public init(records: [String], port: Int = FreePort.next()) throws {
        guard let binary = Self.binary else { throw DNSMasqError.notInstalled }
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsmasq-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("dnsmasq.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        var arguments = [
            "--no-resolv", "--no-hosts", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--keep-in-foreground", "--log-facility=-", "--log-queries", "--conf-file=/dev/null",
            "--pid-file=\(directory.appendingPathComponent("dnsmasq.pid").path)",
        ]
        // Started as root dnsmasq drops to `nobody`; as anyone else it keeps its user.
        if getuid() == 0 { arguments.append("--user=root") }
        do {
            let argv = [binary] + arguments + records
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, log.path, O_WRONLY | O_APPEND, 0)
            // A clean signal mask and default handlers, whatever the test runner blocked.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var empty = sigset_t(), all = sigset_t()
            sigemptyset(&empty)
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var cArguments = argv.map { strdup($0) } + [nil]
            defer { cArguments.forEach { free($0) } }
            let status = posix_spawn(&pid, binary, &actions, &attributes, &cArguments, environ)
            guard status == 0 else { throw DNSMasqError.exited(log: "posix_spawn: \(String(cString: strerror(status)))") }
        }
        try waitUntilListening()
    }

    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("dnsmasq.log"), encoding: .utf8)) ?? ""
    }

    func waitUntilListening(timeout: TimeInterval = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // Bound UDP port: binding it ourselves fails.
            if FreePort.bind(Int32(SOCK_DGRAM.rawValue), host: "127.0.0.1", port: port) == 0 { return }
            if !isRunning { throw DNSMasqError.exited(log: log()) }
            usleep(20_000)
        }
        stop()
        throw DNSMasqError.exited(log: log())
    }

    /// Reaps it if it has exited.
    var isRunning: Bool {
        guard pid > 0, !exited else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return !exited
    }

    /// SIGTERM by PID, then SIGKILL after a second; reaped either way.
    public func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(1)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            exited = true
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

public enum DNSMasqError: Error, CustomStringConvertible {
    case notInstalled
    case exited(log: String)
    public var description: String {
        switch self {
        case .notInstalled: "dnsmasq is not installed (scripts/setup-debian installs dnsmasq-base)"
        case .exited(let log): "dnsmasq did not start:\n\(log)"
        }
    }
}
