import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real DNS server for tests: dnsmasq (Debian package dnsmasq-base, see scripts/setup-debian)
/// in the foreground on a free loopback port, answering only from its command line
/// (`--no-resolv --no-hosts`). `stop()` kills it by its PID; call it in every outcome (`defer`).
public final class DNSMasqServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    let process = Process()

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
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = [
            "--no-resolv", "--no-hosts", "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--keep-in-foreground", "--log-facility=-", "--log-queries", "--conf-file=/dev/null",
            "--pid-file=\(directory.appendingPathComponent("dnsmasq.pid").path)",
        ]
        // Started as root dnsmasq drops to `nobody`; as anyone else it keeps its user.
        if getuid() == 0 { arguments.append("--user=root") }
        process.arguments = arguments + records
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
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
            if !process.isRunning { throw DNSMasqError.exited(log: log()) }
            usleep(20_000)
        }
        stop()
        throw DNSMasqError.exited(log: log())
    }

    /// SIGTERM by PID, then SIGKILL after a second.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
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
