import Foundation
import SIPTestKit

/// A real `switchboardd` started for one test on its own loopback port, with its stderr
/// captured. `stop()` (SIGTERM, then SIGKILL after a grace period) must be called in every
/// outcome: use `defer`.
public final class DaemonProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public let logURL: URL
    let process = Process()

    /// Root of the package.
    public static var packageRoot: URL { PackageRoot.url }

    public static var binary: URL {
        let debug = packageRoot.appendingPathComponent(".build/debug/switchboardd")
        if let override = ProcessInfo.processInfo.environment["SWITCHBOARDD"] { return URL(fileURLWithPath: override) }
        return debug
    }

    /// - Parameter extraConfig: YAML lines appended to the generated configuration.
    /// - Parameter listenHost: "127.0.0.1" or "::1"; the daemon listens on UDP and TCP there.
    /// - Parameter environment: variables added to the daemon's environment (e.g. NOTIFY_SOCKET).
    /// - Parameter extraListeners: more `listen` entries (`tls:127.0.0.1:PORT`, `ws:…`).
    /// - Parameter tcpPort: the TCP listener's port when it is not `port`.
    public init(port: Int = FreePort.next(), listenHost: String = "127.0.0.1", extraConfig: String = "",
                dialplans: String? = nil, environment: [String: String] = [:], extraListeners: [String] = [],
                tcpPort: Int? = nil) throws {
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboardd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("stderr.log")
        let dialplanDir = dialplans ?? DaemonProcess.packageRoot.appendingPathComponent("Dialplans").path
        let host = listenHost.contains(":") ? "[\(listenHost)]" : listenHost
        var config = """
        listen: ["udp:\(host):\(port)", "tcp:\(host):\(tcpPort ?? port)"\(extraListeners.map { ", \"\($0)\"" }.joined())]
        dialplans: \(dialplanDir)
        log-level: debug
        pid-file: \(directory.appendingPathComponent("switchboardd.pid").path)

        """
        config += extraConfig
        let configURL = directory.appendingPathComponent("switchboard.yaml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try process.start(DaemonProcess.binary, ["--config", configURL.path], log: logURL)
        try process.waitUntilLogged("switchboardd ready", log: log, timeout: 20)
    }

    public var pid: Int32 { process.processIdentifier }
    public var configURL: URL { directory.appendingPathComponent("switchboard.yaml") }
    public var isRunning: Bool { process.isRunning }

    public func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// SIGTERM, then SIGKILL after `grace`; returns the exit status.
    @discardableResult
    public func stop(grace: TimeInterval = 10) -> Int32 {
        process.terminate(grace: grace)
    }

    /// Resident memory of the daemon in KiB (from /proc), for leak checks.
    public func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    deinit {
        process.killAndReap()
        try? FileManager.default.removeItem(at: directory)
    }
}

extension Process {
    /// Waits (bounded) until the log `log()` returns says the program is ready: the daemon
    /// and the web service both announce it in one line. Throws when it exits first or
    /// the line does not come within `timeout`.
    func waitUntilLogged(_ line: String, log: () -> String, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log().contains(line) { return }
            if !isRunning { throw DaemonError.exited(status: terminationStatus, log: log()) }
            usleep(20_000)
        }
        throw DaemonError.notReady(log: log())
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case exited(status: Int32, log: String)
    case notReady(log: String)
    public var description: String {
        switch self {
        case .exited(let s, let log): return "switchboardd exited with \(s):\n\(log)"
        case .notReady(let log): return "switchboardd not ready in time:\n\(log)"
        }
    }
}
