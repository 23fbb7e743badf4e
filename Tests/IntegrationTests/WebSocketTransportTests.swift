import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 15 item 6, SIP over WebSocket (RFC 7118) against the real daemon: a browser-like
/// agent (Python `websockets`, Tests/Fixtures/tls/ws_agent.py) registers with digest over
/// `ws:`/`wss:`, and a call to it reaches it over that connection (its flow, RFC 5626), is
/// answered, bridged and recorded in PostgreSQL. Upgrades without the `sip` subprotocol
/// and plain HTTP get a clear 4xx.
@Suite(.serialized) struct WebSocketTransportTests {
    static let agentScript = DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/tls/ws_agent.py").path

    final class Agent {
        let process = Process()
        let log: URL

        init(_ arguments: [String]) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("ws-agent-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [WebSocketTransportTests.agentScript] + arguments
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            try process.run()
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func waitFor(_ text: String, timeout: TimeInterval = 20) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if output.contains(text) { return true }
                if !process.isRunning { return output.contains(text) }
                usleep(50_000)
            }
            return false
        }

        func wait(timeout: TimeInterval = 40) -> Int32 {
            process.waitOrKill(timeout: timeout)
        }

        deinit {
            process.killAndReap()
            try? FileManager.default.removeItem(at: log)
        }
    }

    /// Registers alice over `scheme` (ws or wss), calls her tracking number's plan from a
    /// SIPp caller over UDP, and checks every step and the recorded legs.
    func registerAndCall(secure: Bool) throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan.ringsAlice()
        defer { plan.remove() }
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journal) }
        let metricsPort = FreePort.next(), wsPort = FreePort.next()
        let scheme = secure ? "wss" : "ws"
        let daemon = try DaemonProcess(
            extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort, algorithms: "[SHA-256, MD5]")
                + "\njournal: \(journal.path)\nnode-id: test-node\n" + (secure ? pki.config() : ""),
            dialplans: plan.directory.path, extraListeners: ["\(scheme):127.0.0.1:\(wsPort)"])
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        try waitForAgents(metricsPort, count: 1)

        var arguments = ["register-and-answer", "--url", "\(scheme)://127.0.0.1:\(wsPort)/", "--user", "alice",
                         "--password", "correct-horse", "--wait", "30"]
        if secure { arguments += ["--ca", pki.path("ca.pem")] }
        let agent = try Agent(arguments)
        #expect(agent.waitFor("REGISTERED"), "\(agent.output)\n\(daemon.log().suffix(3000))")
        #expect(agent.output.contains("SUBPROTOCOL sip"))
        #expect(agent.output.contains("FIRST 401"), "REGISTER was not challenged: \(agent.output)")
        let flowKept = try db.waitFor("SELECT flow_transport FROM agent_bindings WHERE agent = 'alice'", toBe: scheme.uppercased())
        #expect(flowKept, "\((try? db.query("SELECT row_to_json(b)::text FROM agent_bindings b")) ?? [])")
        let show = try db.cli(["agents", "show", "alice"])
        #expect(show.output.contains("via \(scheme):127.0.0.1:"), "\(show.output)")

        let call = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 30).run()
        #expect(call.status == 0, "\(call.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(call.successfulCalls == 1)
        #expect(agent.wait() == 0, "\(agent.output)")
        #expect(agent.output.contains("STEPS ACK,BYE,INVITE"), "\(agent.output)")
        // RFC 7118 §5: our Via toward the agent names the WebSocket transport.
        #expect(agent.output.contains("VIA SIP/2.0/\(scheme.uppercased()) "), "\(agent.output)")
        // Both legs recorded (the caller's and the agent's), each once.
        let deadline = Date().addingTimeInterval(30)
        var rows: [[String?]] = []
        repeat {
            rows = (try? db.query("SELECT count(*), count(DISTINCT leg_id) FROM call_legs WHERE ended_at IS NOT NULL")) ?? []
            if rows.first?.first ?? nil == "2" { break }
            usleep(200_000)
        } while Date() < deadline
        #expect(rows.first?.first ?? nil == "2" && rows.first?[1] == "2", "legs: \(rows)")
    }

    @Test func anAgentRegisteredOverWebSocketIsCalledBridgedAndRecorded() throws {
        try registerAndCall(secure: false)
    }

    @Test func anAgentRegisteredOverSecureWebSocketIsCalledBridgedAndRecorded() throws {
        try registerAndCall(secure: true)
    }

    @Test func upgradesWithoutTheSIPSubprotocolAndPlainHTTPAreRefusedClearly() throws {
        let wsPort = FreePort.next()
        let daemon = try DaemonProcess(extraListeners: ["ws:127.0.0.1:\(wsPort)"])
        defer { daemon.stop() }
        let chat = try Agent(["subprotocol", "--url", "ws://127.0.0.1:\(wsPort)/", "--proto", "chat"])
        #expect(chat.wait() == 0, "\(chat.output)")
        #expect(chat.output.contains("STATUS 400"), "\(chat.output)")
        let (status, body) = try httpGet(port: wsPort, path: "/")
        #expect(status == 426, "\(body)")
        #expect(body.contains("Sec-WebSocket-Protocol: sip"))
        // The listener still serves SIP afterwards.
        let ok = try Agent(["subprotocol", "--url", "ws://127.0.0.1:\(wsPort)/", "--proto", "sip"])
        #expect(ok.wait() == 1 && ok.output.contains("UPGRADED sip"), "\(ok.output)")
        #expect(daemon.isRunning)
    }

    /// RFC 6455 §10.2, RFC 7118 §6: a browser page of another site must not use a visitor's
    /// browser to register or call. An upgrade whose Origin is not in `websocket:
    /// allowed-origins` gets 403; a listed one (default port written out or not) upgrades; no
    /// Origin at all (a desktop softphone) upgrades unless `allow-missing-origin: false`.
    @Test func browserOriginsNotAllowedGet403AndListedOnesUpgrade() throws {
        let wsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "websocket: { allowed-origins: [\"https://app.example.com\"] }\n",
                                       extraListeners: ["ws:127.0.0.1:\(wsPort)"])
        defer { daemon.stop() }
        func attempt(_ origin: String?) throws -> Agent {
            var arguments = ["subprotocol", "--url", "ws://127.0.0.1:\(wsPort)/", "--proto", "sip"]
            if let origin { arguments += ["--origin", origin] }
            let agent = try Agent(arguments)
            _ = agent.wait()
            return agent
        }
        let evil = try attempt("https://evil.example")
        #expect(evil.output.contains("STATUS 403"), "\(evil.output)")
        let null = try attempt("null")
        #expect(null.output.contains("STATUS 403"), "\(null.output)")
        let listed = try attempt("https://app.example.com")
        #expect(listed.output.contains("UPGRADED sip"), "\(listed.output)")
        let withPort = try attempt("https://APP.example.com:443")
        #expect(withPort.output.contains("UPGRADED sip"), "\(withPort.output)")
        let none = try attempt(nil)
        #expect(none.output.contains("UPGRADED sip"), "\(none.output)")
        #expect(daemon.isRunning)

        let strictPort = FreePort.next()
        let strict = try DaemonProcess(extraConfig: "websocket: { allow-missing-origin: false }\n",
                                       extraListeners: ["ws:127.0.0.1:\(strictPort)"])
        defer { strict.stop() }
        let bare = try Agent(["subprotocol", "--url", "ws://127.0.0.1:\(strictPort)/", "--proto", "sip"])
        _ = bare.wait()
        #expect(bare.output.contains("STATUS 403"), "\(bare.output)")
    }
}
