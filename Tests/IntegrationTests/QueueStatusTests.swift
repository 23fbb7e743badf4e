import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 7 item 5: queue state in the metrics and in `switchboard queues`, read from the
/// running daemon while a caller waits and an agent rings.
@Suite(.serialized) struct QueueStatusTests {
    @Test func aWaitingCallerAndARingingAgentShowInQueuesAndMetrics() throws {
        let call = try CallFixture(callees: [.callee("callee-ring-cancelled.xml", calls: 1)])
        defer { call.stop() }
        let agent = call.callees[0]
        try call.writeDialplan(plans: """
          main:
            queue:
              agents: ["sip:agent0@127.0.0.1:\(agent.port)"]
              strategy: linear
              max-wait: 30s
              agent-timeout: 20s

        """)
        let metricsPort = FreePort.next()
        let token = try AdminTokenFile()
        defer { token.remove() }
        let daemon = try call.startDaemon(config: mediaConfig() + "metrics: 127.0.0.1:\(metricsPort)\n"
                                          + "admin-token-file: \(token.path)\n")
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(4000)]).start()
        defer { _ = caller.stop() }

        // While the caller waits: the CLI shows it and the ringing agent.
        var shown = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            usleep(300_000)
            shown = try Self.cli(["queues", "--metrics", "127.0.0.1:\(metricsPort)"])
        } while !shown.contains("1 waiting") && Date() < deadline
        #expect(shown.contains("test-account/main (linear): 1 waiting"), "\(shown)")
        #expect(shown.contains("agent    sip:agent0@127.0.0.1:\(agent.port)  ringing"), "\(shown)")
        // Issue 13 item 6: callers' numbers only with the admin token; masked without.
        #expect(shown.contains("waiting  #1  +1415•••••23  for "), "\(shown)")
        #expect(!shown.contains("+14155550123"), "\(shown)")
        let revealed = try Self.cli(["queues", "--metrics", "127.0.0.1:\(metricsPort)", "--token-file", token.path])
        #expect(revealed.contains("waiting  #1  +14155550123  for "), "\(revealed)")
        let json = try Self.cli(["queues", "--config", daemon.configURL.path, "--json"])
        #expect(json.contains("\"caller\":\"+14155550123\""), "\(json)")
        #expect(json.contains("\"position\":1"), "\(json)")
        let masked = try Self.cli(["queues", "--metrics", "127.0.0.1:\(metricsPort)", "--json"])
        #expect(masked.contains("\"caller\":\"+1415•••••23\""), "\(masked)")

        let scrape = try RawHTTP.get(port: metricsPort, path: "/metrics")
        let waiting = scrape.split(separator: "\n").first { $0.hasPrefix("switchboard_queue_waiting_callers{") }
        #expect(waiting?.hasSuffix(" 1.0") == true, "\(waiting ?? "none")")
        #expect(scrape.contains("state=\"ringing\"} 1.0"))
    }

    static func cli(_ arguments: [String]) throws -> String { try CLITests().run(arguments).output }
}

/// A minimal HTTP/1.0 request over loopback for scraping the daemon.
enum RawHTTP {
    static func get(port: Int, path: String, headers: [String] = [], method: String = "GET") throws -> String {
        let client = try RawSIPClient(.tcp, port: port, receiveTimeout: 2)
        let extra = headers.map { $0 + "\r\n" }.joined()
        client.send("\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\(extra)\r\n")
        return String(decoding: client.receiveAll(), as: UTF8.self)
    }
}

/// A bearer token in a file of mode 600, as an operator would make one for `admin-token-file`.
struct AdminTokenFile {
    let path: String
    let token: String

    init(token: String = "t-" + UUID().uuidString.replacingOccurrences(of: "-", with: ""), mode: Int = 0o600) throws {
        self.token = token
        path = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString).token").path
        FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                       attributes: [.posixPermissions: mode])
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
