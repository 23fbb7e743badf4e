import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 4 with linphonec (liblinphone 5.1, SHA-256 digest): it registers, then —
/// driven through its standard input, as LinphoneRegistrarTests starts it — dials a
/// destination; our 407 is answered with SHA-256, the trunk (SIPp) receives the INVITE with
/// alice's tracking number in From and P-Asserted-Identity and answers; `terminate` hangs up
/// and the BYE reaches the trunk.
@Suite(.serialized) struct LinphoneAgentOutboundTests {
    @Test func linphonePlacesAnAgentCallWithSHA256ThatShowsTheTrackingNumber() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let trunk = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"], timeout: 60).start()
        defer { trunk.stop() }
        let plan = try AgentOutboundTests.plan()
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256]", extra: """
            journal: \(journal.path)
            trunks:
              - { name: carrier-a, host: 127.0.0.1, port: \(trunk.port), prefixes: ["+1"] }

            """), dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", number: AgentOutboundTests.agentNumber, config: daemon.configURL.path)
        try AgentOutboundTests().waitForAgentDirectory(metricsPort, count: 1)

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
        guard registered else { return }
        stdin.fileHandleForWriting.write(Data("call sip:\(AgentOutboundTests.destination)@127.0.0.1:\(daemon.port)\n".utf8))
        let dialled = waitUntil(20) { tracedMessages(trunk.currentMessages(), startingWith: "ACK ", received: true).count == 1 }
        #expect(dialled, "\(logs().suffix(3000))\n\(daemon.log().suffix(3000))")
        stdin.fileHandleForWriting.write(Data("terminate\n".utf8))
        let run = try trunk.wait(timeout: 30)
        #expect(run.successfulCalls == 1, "\(run.output.suffix(1500))\n\(logs().suffix(2000))")
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(header("From", in: invite)?.contains("sip:\(AgentOutboundTests.agentNumber)@") == true, "\(invite)")
        #expect(header("P-Asserted-Identity", in: invite) == "<sip:\(AgentOutboundTests.agentNumber)@127.0.0.1;user=phone>", "\(invite)")
        #expect(tracedMessages(run.messages, startingWith: "BYE ", received: true).count == 1)
        let (_, m) = try httpGet(port: metricsPort)
        #expect(sample(m, "switchboard_agent_calls_total{outcome=\"answered\"}") == 1, "\(m)")
        #expect(try db.waitFor("SELECT count(*) FROM call_legs WHERE agent = 'alice' AND ended_at IS NOT NULL", toBe: "2"))
    }
}
