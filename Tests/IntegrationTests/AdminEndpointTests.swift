import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 13 item 6: the admin/metrics endpoint is private. Loopback by default; any other
/// address only with a bearer token from a file, and `switchboard check` refuses it without.
@Suite(.serialized) struct AdminEndpointTests {
    @Test func aNonLoopbackAdminAddressWithoutATokenIsRefusedByCheckAndByTheDaemon() throws {
        let port = FreePort.next()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "dialplans: \(DaemonProcess.packageRoot.appendingPathComponent("Dialplans").path)\nmetrics: 0.0.0.0:\(port)\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let check = try CLITests().run(["check", "--config", file.path])
        #expect(check.status != 0)
        #expect(check.output.contains("\(file.path):2:10: error: metrics on 0.0.0.0:\(port) is reachable from other hosts: set admin-token-file"),
                "\(check.output)")

        do {
            let daemon = try DaemonProcess(extraConfig: "metrics: 0.0.0.0:\(port)\n")
            daemon.stop()
            Issue.record("the daemon started with a public admin address and no token")
        } catch DaemonError.exited(let status, let log) {
            #expect(status == 78, "\(log)")
            #expect(log.contains("set admin-token-file"), "\(log)")
        }
    }

    @Test func aTokenFileOthersCanReadIsRefused() throws {
        let token = try AdminTokenFile(mode: 0o644)
        defer { token.remove() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "dialplans: \(DaemonProcess.packageRoot.appendingPathComponent("Dialplans").path)\nadmin-token-file: \(token.path)\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let check = try CLITests().run(["check", "--config", file.path])
        #expect(check.status != 0)
        #expect(check.output.contains("\(file.path):2:19: error: admin-token-file '\(token.path)' may be read by other users (mode 644)"),
                "\(check.output)")
    }

    @Test func onAnotherAddressEveryRequestNeedsTheToken() throws {
        let token = try AdminTokenFile()
        defer { token.remove() }
        let port = FreePort.next()
        // 0.0.0.0 is "another address" (every interface); the test reaches it on loopback.
        let daemon = try DaemonProcess(extraConfig: "metrics: 0.0.0.0:\(port)\nadmin-token-file: \(token.path)\n")
        defer { daemon.stop() }
        let none = try waitForAnswer(port: port, path: "/metrics")
        #expect(none.hasPrefix("HTTP/1.0 401"), "\(none)")
        #expect(none.contains("WWW-Authenticate: Bearer realm=\"switchboard\""), "\(none)")
        #expect(!none.contains("switchboard_"), "\(none)")
        let wrong = try RawHTTP.get(port: port, path: "/metrics", headers: ["Authorization: Bearer not-the-token-at-all"])
        #expect(wrong.hasPrefix("HTTP/1.0 401"), "\(wrong)")
        let queues = try RawHTTP.get(port: port, path: "/queues")
        #expect(queues.hasPrefix("HTTP/1.0 401"), "\(queues)")
        let right = try RawHTTP.get(port: port, path: "/metrics", headers: ["Authorization: Bearer \(token.token)"])
        #expect(right.hasPrefix("HTTP/1.0 200"), "\(right)")
        #expect(right.contains("switchboard_"), "\(right)")
        // The CLI finds the token through the config file, and says what is wrong without it.
        let cli = try CLITests().run(["queues", "--config", daemon.configURL.path])
        #expect(cli.status == 0, "\(cli.output)")
        let refused = try CLITests().run(["queues", "--metrics", "127.0.0.1:\(port)"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("answered 401"), "\(refused.output)")
        // The token never reaches the log.
        #expect(!daemon.log().contains(token.token))
    }

    @Test func onLoopbackAWrongTokenIsRefusedAndNoTokenReadsMetrics() throws {
        let token = try AdminTokenFile()
        defer { token.remove() }
        let port = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(port)\nadmin-token-file: \(token.path)\n")
        defer { daemon.stop() }
        let none = try waitForAnswer(port: port, path: "/metrics")
        #expect(none.hasPrefix("HTTP/1.0 200"), "\(none)")
        let wrong = try RawHTTP.get(port: port, path: "/metrics", headers: ["Authorization: Bearer \(token.token)x"])
        #expect(wrong.hasPrefix("HTTP/1.0 401"), "\(wrong)")
        // Lifting a ban changes what the SIP edge admits: with a token configured it needs it.
        let bans = try RawHTTP.get(port: port, path: "/bans")
        #expect(bans.hasPrefix("HTTP/1.0 200"), "\(bans)")
        let lift = try RawHTTP.get(port: port, path: "/bans/127.0.0.9", method: "DELETE")
        #expect(lift.hasPrefix("HTTP/1.0 401"), "\(lift)")
        let authorized = try RawHTTP.get(port: port, path: "/bans/127.0.0.9", headers: ["Authorization: Bearer \(token.token)"],
                                         method: "DELETE")
        #expect(authorized.hasPrefix("HTTP/1.0 404"), "\(authorized)")
        #expect(authorized.contains("127.0.0.9 is not banned"), "\(authorized)")
    }

    /// The metrics server may come up a moment after SIP is ready.
    private func waitForAnswer(port: Int, path: String) throws -> String {
        let deadline = Date().addingTimeInterval(5)
        var answer = ""
        repeat {
            answer = (try? RawHTTP.get(port: port, path: path)) ?? ""
            if answer.hasPrefix("HTTP/") { return answer }
            usleep(100_000)
        } while Date() < deadline
        return answer
    }
}
