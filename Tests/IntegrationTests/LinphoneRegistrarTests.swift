import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// A third user agent, and the only one here that speaks SHA-256 digest (RFC 8760):
/// linphonec (liblinphone 5.1) registers with the daemon's default SHA-256-only challenge
/// and auto-answers the call to `agent:alice`. Installed by scripts/setup-debian.
@Suite(.serialized) struct LinphoneRegistrarTests {
    @Test func linphoneRegistersWithSHA256AndAnswers() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"agent:alice\"], timeout: 10s }\n",
                                    extra: "agents:\n  alice: ~\n")
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]"),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        #expect(waitUntil(10) { (try? httpGet(port: metricsPort)).map { sample($0.1, "switchboard_registrar_agents") == 1 } ?? false })

        let home = FileManager.default.temporaryDirectory.appendingPathComponent("linphone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        // liblinphone keeps its call history there and will not start a call without it.
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".local/share/linphone"), withIntermediateDirectories: true)
        let sipPort = FreePort.next()
        let config = home.appendingPathComponent("linphonerc")
        try """
        [sip]
        sip_port=\(sipPort)
        sip_tcp_port=-1
        sip_tls_port=-1
        bind_address=127.0.0.1
        default_proxy=0
        [rtp]
        audio_rtp_port=\(FreePort.next())
        [sound]
        playback_dev_id=
        capture_dev_id=
        [video]
        enabled=0
        [auth_info_0]
        username=alice
        passwd=correct-horse
        realm=switchboard
        domain=127.0.0.1
        [proxy_0]
        reg_proxy=<sip:127.0.0.1:\(daemon.port)>
        reg_identity=sip:alice@127.0.0.1
        reg_expires=300
        reg_sendregister=1

        """.write(to: config, atomically: true, encoding: .utf8)
        let linphone = Process()
        linphone.executableURL = URL(fileURLWithPath: "/usr/bin/linphonec")
        let logURL = home.appendingPathComponent("linphone.log")
        linphone.arguments = ["-c", config.path, "-a", "-d", "6", "-l", logURL.path]
        let outURL = home.appendingPathComponent("out.log")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        linphone.standardOutput = out
        linphone.standardError = out
        let stdin = Pipe()  // kept open: linphonec quits at the end of its input
        linphone.standardInput = stdin
        linphone.environment = ["HOME": home.path, "PATH": "/usr/bin:/bin"]
        try linphone.run()
        defer {
            if linphone.isRunning { kill(linphone.processIdentifier, SIGKILL) }
            try? stdin.fileHandleForWriting.close()
        }
        func logs() -> String {
            ((try? String(contentsOf: outURL, encoding: .utf8)) ?? "") + ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").suffix(3000)
        }

        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 20)
        #expect(registered, "\(logs().suffix(3000))\n\(daemon.log().suffix(2000))")
        let agent = try db.query("SELECT user_agent FROM agent_bindings").first?.first ?? nil
        #expect(agent?.lowercased().contains("linphone") == true, "\(agent ?? "none")")
        let (_, metrics) = try httpGet(port: metricsPort)
        #expect(sample(metrics, "switchboard_registrar_authentications_total{result=\"ok\"}") ?? 0 >= 1)
        guard registered else { return }
        let call = try SIPpRun.caller("caller-any-answer.xml", daemon: daemon, calls: 1).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(logs().suffix(2000))\n\(daemon.log().suffix(2000))")
    }
}
