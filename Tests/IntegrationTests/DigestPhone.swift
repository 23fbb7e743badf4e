import Foundation
import ProcessTestKit
import SIPTestKit

/// Tests/Fixtures/sip/digest_agent.py as a running phone: SHA-256 digest over UDP or TCP,
/// the steps given, one "KEY value" line per result. Killed by pid if still running at the end.
final class DigestPhone {
    static let script = DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/sip/digest_agent.py").path
    let process = Process()
    private let log: URL

    init(port: Int, transport: String = "udp", user: String = "alice", password: String = "correct-horse",
         steps: String, callIDPrefix: String = "", wait: Int = 20) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script, "--server", "127.0.0.1:\(port)", "--transport", transport, "--user", user,
                             "--password", password, "--steps", steps, "--call-id-prefix", callIDPrefix, "--wait", "\(wait)"]
        log = FileManager.default.temporaryDirectory.appendingPathComponent("digest-agent-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
    }

    var lines: [String] { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    func value(_ key: String) -> String? {
        lines.first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Waits (bounded) until a line starting with `key` is printed.
    func waitFor(_ key: String, timeout: TimeInterval = 30) -> Bool {
        waitUntil(timeout) { self.value(key) != nil || !self.process.isRunning } && value(key) != nil
    }

    /// Waits (bounded) for the end; kills the phone after `timeout`.
    @discardableResult
    func finish(timeout: TimeInterval = 90) -> [String] {
        _ = waitUntil(timeout) { !self.process.isRunning }
        stop()
        return lines
    }

    func stop() {
        process.killAndReap()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: log)
    }
}
