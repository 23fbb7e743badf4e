import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
@testable import Tracking

/// Issue 16 item 5: post-call webhooks from the durable outbox — enqueued once per
/// idempotency key, signed, retried with backoff, delivered exactly once across a restart
/// and with two `switchboard web` nodes running at once, dead after the last attempt.
@Suite(.serialized) struct WebhookTests {
    static let secretText = "whsec-test-0123456789abcdef"

    static func secretFile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-secret-\(UUID().uuidString)")
        try secretText.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return url
    }

    static func webhooks(_ urls: [String], events: [WebhookEvent] = WebhookEvent.allCases) -> AccountWebhooks {
        AccountWebhooks(urls: urls, events: events, secret: WebhookSecret(secretText)!)
    }

    /// The receiver of Tests/Fixtures/web/webhook_receiver.py, on a loopback port of its own.
    final class Receiver {
        let process = Process()
        let port: Int
        let log: URL
        init(secretFile: URL, fail: Int, hang: Int = 0, hangSeconds: Double = 2.5) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-receiver-\(UUID().uuidString).jsonl")
            let script = DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/web/webhook_receiver.py")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [script.path, "--log", log.path, "--secret-file", secretFile.path, "--fail", String(fail),
                                 "--hang", String(hang), "--hang-seconds", String(hangSeconds)]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line += byte }
            guard let p = Int(String(decoding: line, as: UTF8.self)) else { throw TestFailure("receiver did not start") }
            port = p
        }
        var url: String { "http://127.0.0.1:\(port)/hooks/calls" }

        struct Record: Decodable {
            var path: String
            var headers: [String: String]
            var body: String
            var status: Int
            var attempt: Int
            var start: Double
            var end: Double
            var signature_ok: Bool
        }

        func records() -> [Record] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
        }

        func stop() {
            process.terminate(grace: 5)
            try? FileManager.default.removeItem(at: log)
        }
    }

    static func sessionFor(_ db: TrackingDatabase, campaign: String, gclid: String?) throws -> SessionLease {
        let store = try db.store()
        defer { store.connection.close() }
        return try store.createSession(account: "acme", request: .sample(campaign: campaign, gclid: gclid), policy: SessionPolicy())
    }

    // MARK: - Enqueue

    @Test func finishedCallsAreEnqueuedOncePerKeyAndURLWithTheirAttribution() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let lease = try Self.sessionFor(db, campaign: "spring", gclid: "gclid-1")
        let calls = CallRows(db: db)
        let answered = try calls.insert(number: lease.number, caller: "+12125550001", answered: true)
        let missed = try calls.insert(number: "+18005550100", caller: "+12125550002", answered: false)
        let open = try calls.insert(number: lease.number, caller: "+12125550003", answered: true, open: true)
        _ = try calls.insert(number: lease.number, caller: "+12125550004", answered: true, startOffset: -3 * 86_400)

        let c = try db.connect()
        defer { c.close() }
        let outbox = WebhookOutbox(connection: c)
        let hooks = Self.webhooks(["http://127.0.0.1:1/a", "http://127.0.0.1:1/b?x=\"1,2\""])
        #expect(try outbox.enqueue(account: "acme", webhooks: hooks, lookbackSeconds: 86_400) == 4)
        // Again, and as a second node would: nothing new.
        #expect(try outbox.enqueue(account: "acme", webhooks: hooks, lookbackSeconds: 86_400) == 0)
        #expect(try WebhookOutbox(connection: try db.connect()).enqueue(account: "acme", webhooks: hooks, lookbackSeconds: 86_400) == 0)

        let rows = try c.execute("SELECT idempotency_key, event, url, payload FROM webhook_outbox ORDER BY outbox_id").rows
        let keys = Set(rows.map { $0[0]! })
        #expect(keys == ["acme:\(answered.uuidString.lowercased()):call.completed", "acme:\(missed.uuidString.lowercased()):call.missed"])
        #expect(Set(rows.map { $0[2]! }) == Set(hooks.urls))

        let payload = try #require(rows.first { $0[1] == "call.completed" }?[3])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        #expect(json["event"] as? String == "call.completed")
        #expect(json["id"] as? String == "acme:\(answered.uuidString.lowercased()):call.completed")
        let call = try #require(json["call"] as? [String: Any])
        #expect(call["answered"] as? Bool == true)
        #expect(call["duration_seconds"] as? Int == 95)
        #expect(call["talk_seconds"] as? Int == 90)
        #expect(call["caller_number"] as? String == "+12125550001")
        #expect(call["tracking_number"] as? String == lease.number)
        let attribution = try #require(json["attribution"] as? [String: Any])
        #expect(attribution["kind"] as? String == "attributed")
        #expect(attribution["campaign"] as? String == "spring")
        #expect(attribution["keyword"] as? String == "emergency plumber")
        #expect(attribution["click_id"] as? String == "gclid-1")
        #expect(attribution["click_id_kind"] as? String == "gclid")
        #expect(attribution["session_id"] as? String == lease.sessionID.uuidString.lowercased())
        #expect(attribution["landing_page"] as? String == "https://www.acme.example/landing?utm_campaign=x")
        #expect(attribution["first_time_caller"] as? Bool == true)
        let missedPayload = try #require(rows.first { $0[1] == "call.missed" }?[3])
        let missedJSON = try #require(try JSONSerialization.jsonObject(with: Data(missedPayload.utf8)) as? [String: Any])
        #expect((missedJSON["call"] as? [String: Any])?["answered"] as? Bool == false)
        #expect((missedJSON["attribution"] as? [String: Any])?["kind"] as? String == "static")

        // The open call's last leg ends: now it is finished and enqueued.
        try c.execute("UPDATE call_legs SET ended_at = now() WHERE call_id = $1 AND ended_at IS NULL", [open.uuidString.lowercased()])
        try c.execute("UPDATE calls SET ended_at = now() WHERE call_id = $1", [open.uuidString.lowercased()])
        #expect(try outbox.enqueue(account: "acme", webhooks: hooks, lookbackSeconds: 86_400) == 2)

        // Events filter: an account subscribed to missed calls only gets those.
        try c.execute("DELETE FROM webhook_outbox")
        #expect(try outbox.enqueue(account: "acme", webhooks: Self.webhooks(["http://127.0.0.1:1/m"], events: [.missed]),
                                   lookbackSeconds: 86_400) == 1)
        #expect(try c.execute("SELECT event FROM webhook_outbox").rows.map { $0[0]! } == ["call.missed"])
    }

    // MARK: - Signature

    @Test func signatureIsHMACSHA256OverTimestampDotBody() throws {
        let secret = WebhookSecret(Self.secretText)!
        let body = Array(#"{"id":"acme:x:call.completed"}"#.utf8)
        let header = WebhookSignature.sign(body: body, timestamp: 1_764_000_000, secret: secret)
        // RFC 4231-style check against an independent HMAC: Python's, from the written rule.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), b'1764000000.' + sys.argv[2].encode(), hashlib.sha256).hexdigest())",
                             Self.secretText, String(decoding: body, as: UTF8.self)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        process.waitUntilExit()
        let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(header == "t=1764000000,v1=\(expected)")
        #expect(WebhookSignature.verify(header: header, body: body, secret: secret, now: 1_764_000_100))
        #expect(!WebhookSignature.verify(header: header, body: body + [0x20], secret: secret, now: 1_764_000_100))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: WebhookSecret("another-secret-0123456789")!, now: 1_764_000_100))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: secret, now: 1_764_000_000 + 301))
        #expect(!String(describing: secret).contains(Self.secretText))
    }

    // MARK: - Delivery through real `switchboard web` nodes

    @Test func deliveredExactlyOnceWithRetriesAcrossARestartAndTwoNodes() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let secret = try Self.secretFile()
        defer { try? FileManager.default.removeItem(at: secret) }
        // Attempts 1 and 2 get a 500, attempt 3 no answer within the sender's 2 s, then 200.
        let receiver = try Receiver(secretFile: secret, fail: 2, hang: 3, hangSeconds: 2.5)
        defer { receiver.stop() }
        let lease = try Self.sessionFor(db, campaign: "spring", gclid: "gclid-7")
        let calls = CallRows(db: db)
        var ids: [UUID] = []
        for i in 0..<6 {
            ids.append(try calls.insert(number: i % 2 == 0 ? lease.number : "+18005550100", caller: "+1212555010\(i)", answered: i % 3 != 0))
        }
        let accounts = """
          acme:
            public-key: pk_acme_test
            origins: ["https://www.acme.example"]
            webhooks:
              urls: ["\(receiver.url)"]
              secret-file: \(secret.path)
        """
        let extra = "webhooks: { interval: 1s, timeout: 2s, initial-backoff: 1s, max-backoff: 2s, max-attempts: 8 }"
        var nodeA: WebServiceProcess? = try WebServiceProcess(database: db.connectionString, dialplans: db.dialplans.path,
                                                              accounts: accounts, extraConfig: extra)
        let nodeB = try WebServiceProcess(database: db.connectionString, dialplans: db.dialplans.path, accounts: accounts, extraConfig: extra)
        defer { nodeA?.stop(grace: 30); nodeB.stop(grace: 30) }

        func delivered() -> Set<String> { Set(receiver.records().filter { $0.status == 200 }.map { $0.headers["idempotency-key"] ?? "" }) }
        // Restart node A once the first attempts are in (its state is only in PostgreSQL).
        var deadline = Date().addingTimeInterval(60)
        while receiver.records().count < 6 && Date() < deadline { usleep(100_000) }
        nodeA?.stop(grace: 30)
        nodeA = try WebServiceProcess(database: db.connectionString, dialplans: db.dialplans.path, accounts: accounts, extraConfig: extra)
        deadline = Date().addingTimeInterval(120)
        while delivered().count < 6 && Date() < deadline { usleep(200_000) }
        // Give both nodes a few more rounds to (wrongly) send anything again.
        sleep(4)

        let records = receiver.records()
        let expectedKeys = Set(ids.enumerated().map { i, id in "acme:\(id.uuidString.lowercased()):\(i % 3 != 0 ? "call.completed" : "call.missed")" })
        #expect(delivered() == expectedKeys)
        for key in expectedKeys {
            let attempts = records.filter { $0.headers["idempotency-key"] == key }.sorted { $0.start < $1.start }
            #expect(attempts.filter { $0.status == 200 }.count == 1, "\(key) accepted more than once")
            #expect(attempts.map(\.status) == [500, 500, 503, 200], "\(key): \(attempts.map(\.status))")
            #expect(attempts.map { $0.headers["switchboard-attempt"] } == ["1", "2", "3", "4"])
            // Never two requests of one event at once (the hung one excepted: the sender gave
            // up on it after its timeout, the receiver kept sleeping).
            for (previous, next) in zip(attempts, attempts.dropFirst()) where previous.status != 503 {
                #expect(next.start >= previous.end, "\(key): attempts overlap")
            }
        }
        for r in records {
            #expect(r.signature_ok, "signature did not verify for \(r.headers["idempotency-key"] ?? "?")")
            #expect(r.headers["content-type"] == "application/json")
            let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
            #expect(json?["id"] as? String == r.headers["idempotency-key"])
            #expect(json?["event"] as? String == r.headers["switchboard-event"])
        }
        let states = try db.connect().execute("SELECT state, attempts, count(*) FROM webhook_outbox GROUP BY 1, 2").rows
        #expect(states.map { $0.compactMap { $0 } } == [["delivered", "4", "6"]])
        // Visible to Prometheus on either node.
        let metrics = try HTTPExchange.send("GET", nodeB.baseURL + "/v1/admin/metrics",
                                            headers: ["Authorization": "Bearer \(WebServiceProcess.adminToken)"]).text
        #expect(metrics.contains("switchboard_webhook_events{account=\"acme\",state=\"delivered\"} 6"))
        #expect(metrics.contains("switchboard_webhook_events{account=\"acme\",state=\"dead\"} 0"))
        // The secret never reached a log.
        #expect(!(nodeA?.log() ?? "").contains(Self.secretText) && !nodeB.log().contains(Self.secretText))
        #expect(nodeB.log().contains("webhook worker started"))
    }

    // MARK: - Dead events

    @Test func deadAfterTheLastAttemptThenListedAndRetried() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let call = try CallRows(db: db).insert(number: "+18005550100", caller: "+12125550009", answered: true)
        var policy = WebhookPolicy()
        policy.interval = 1; policy.timeout = 2; policy.initialBackoff = 1; policy.maxBackoff = 1; policy.maxAttempts = 3
        // Nobody listens on this port: every attempt is a transport error.
        let closed = "http://127.0.0.1:\(FreePort.next())/hooks"
        let account = WebAccount(name: "acme", publicKey: "pk_acme_test", origins: ["https://www.acme.example"],
                                 webhooks: Self.webhooks([closed]))
        let worker = WebhookWorker(connectionString: db.connectionString, accounts: [account], policy: policy)
        let c = try db.connect()
        defer { c.close() }
        let outbox = WebhookOutbox(connection: c)
        let deadline = Date().addingTimeInterval(60)
        while try outbox.list(state: "dead", account: nil, limit: 10).isEmpty && Date() < deadline {
            try worker.runOnce()
            usleep(300_000)
        }
        let dead = try outbox.list(state: "dead", account: "acme", limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 3)
        #expect(dead.first?.idempotencyKey == "acme:\(call.uuidString.lowercased()):call.completed")
        #expect(dead.first?.lastError?.hasPrefix("transport") == true)
        // Dead is final: more rounds send nothing.
        #expect(try worker.runOnce() == 0)

        let listed = try runCLI(["webhooks", "list", "--database", db.connectionString, "--state", "dead"])
        #expect(listed.status == 0)
        #expect(listed.out.contains("dead\t3\tcall.completed\tacme:\(call.uuidString.lowercased()):call.completed\t\(closed)"))
        let retried = try runCLI(["webhooks", "retry", "--database", db.connectionString, "--account", "acme"])
        #expect(retried.out.contains("1 dead event pending again"))
        let pending = try outbox.list(state: "pending", account: "acme", limit: 10)
        #expect(pending.map(\.attempts) == [0])
        #expect(try outbox.counts().map { "\($0.account)/\($0.state)/\($0.count)" } == ["acme/pending/1"])
    }

    // MARK: - Configuration

    @Test func webhookConfigurationIsCheckedWithPositions() throws {
        let secret = try Self.secretFile()
        defer { try? FileManager.default.removeItem(at: secret) }
        let open = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-open-\(UUID().uuidString)")
        try Self.secretText.write(to: open, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: open.path)
        defer { try? FileManager.default.removeItem(at: open) }
        func config(_ webhooks: String, policy: String = "") -> String {
            """
            database: "postgresql://x@localhost/x"
            dialplans: /tmp
            \(policy)
            accounts:
              acme:
                public-key: pk_acme_test
                origins: ["https://www.acme.example"]
                webhooks: \(webhooks)

            """
        }
        let good = WebConfiguration.parse(config("{ urls: [\"https://crm.example/h\"], events: [call.missed], secret-file: \(secret.path) }",
                                                 policy: "webhooks: { timeout: 5s, max-attempts: 4, initial-backoff: 10s, max-backoff: 1m }"),
                                          path: "web.yaml")
        let hooks = try #require(good.configuration?.accounts["acme"]?.webhooks)
        #expect(hooks.urls == ["https://crm.example/h"] && hooks.events == [.missed])
        #expect(good.configuration?.webhooks.maxAttempts == 4 && good.configuration?.webhooks.timeout == 5)
        #expect(good.configuration?.webhooks.backoff(afterAttempt: 1) == 10 && good.configuration?.webhooks.backoff(afterAttempt: 4) == 60)

        let world = WebConfiguration.parse(config("{ urls: [\"https://crm.example/h\"], secret-file: \(open.path) }"), path: "web.yaml")
        #expect(world.configuration == nil)
        #expect(world.diagnostics.map(\.description).contains { $0.hasPrefix("web.yaml:8:") && $0.contains("chmod 600") })
        let badEvent = WebConfiguration.parse(config("{ urls: [\"ftp://crm.example/h\"], events: [call.started], secret-file: \(secret.path) }"),
                                              path: "web.yaml")
        let messages = badEvent.diagnostics.map(\.description)
        #expect(messages.contains { $0.contains("unknown event 'call.started'") })
        #expect(messages.contains { $0.contains("'ftp://crm.example/h' is not an http(s) URL") })
        // The secret is in no diagnostic.
        #expect(!(world.diagnostics + badEvent.diagnostics).map(\.description).joined().contains(Self.secretText))
    }
}
