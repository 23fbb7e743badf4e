import Foundation
import ProcessTestKit
import Testing
@testable import Tracking
@testable import TrackingWeb

/// Issue 16 item 1: the real `switchboard web` process over HTTP — sessions, heartbeats, and
/// a clear 4xx with a reason for every bad input (never a 500).
@Suite(.serialized) struct WebAPITests {
    static let origin = "https://www.acme.example"
    static let accounts = """
      acme:
        public-key: pk_acme_test
        origins: ["\(origin)", "http://127.0.0.1:1"]
      other:
        public-key: pk_other_test
        origins: ["https://other.example"]
    """

    final class Setup {
        let db: TrackingDatabase
        let web: WebServiceProcess
        init(poolSize: Int = 4, extraConfig: String = "") throws {
            db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(poolSize))
            // The dialplan of account `other` exists too (it has no pools).
            try """
            account: other
            timezone: UTC
            numbers:
              "+18005550199": { plan: main }
            plans:
              main:
                ring-all: { targets: ["sip:x@127.0.0.1:5999"], timeout: 5s }

            """.write(to: db.dialplans.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
            do {
                web = try WebServiceProcess(database: db.connectionString, dialplans: db.dialplans.path,
                                            accounts: WebAPITests.accounts, extraConfig: extraConfig)
            } catch {
                db.cleanUp()
                throw error
            }
        }
        func cleanUp() { web.stop(); db.cleanUp() }

        func post(_ path: String, _ body: String, origin: String? = WebAPITests.origin,
                  contentType: String = "text/plain;charset=UTF-8") throws -> HTTPExchange {
            var headers = ["Content-Type": contentType]
            if let origin { headers["Origin"] = origin }
            return try HTTPExchange.send("POST", web.baseURL + path, headers: headers, body: Data(body.utf8))
        }
    }

    static func sessionBody(pool: String = "website", key: String = "pk_acme_test") -> String {
        """
        {"key":"\(key)","pool":"\(pool)","landing_url":"https://www.acme.example/?utm_source=google","referrer":"https://www.google.com/",
         "utm_source":"google","utm_medium":"cpc","utm_campaign":"spring","utm_term":"plumber","gclid":"abc123","visitor_id":"v-1"}
        """
    }

    @Test func sessionsGetDistinctNumbersAndHeartbeatsExtendThem() throws {
        let s = try Setup()
        defer { s.cleanUp() }
        let a = try s.post("/v1/sessions", Self.sessionBody())
        #expect(a.status == 201, "\(a.text)")
        #expect(a.headers["access-control-allow-origin"] == Self.origin)
        let b = try s.post("/v1/sessions", Self.sessionBody(), contentType: "application/json")
        #expect(b.status == 201, "\(b.text)")
        let numberA = try #require(a.json?["number"] as? String), numberB = try #require(b.json?["number"] as? String)
        #expect(numberA != numberB)
        #expect(TrackingDatabase.numbers(4).contains(numberA))
        #expect(a.json?["national"] as? String == NumberDisplay(e164: numberA).national)
        #expect((a.json?["national"] as? String)?.hasPrefix("(800) 555-") == true)
        #expect(a.json?["heartbeat_seconds"] as? Int == 300)
        let id = try #require(a.json?["session_id"] as? String)
        let beat = try s.post("/v1/sessions/\(id)/heartbeat", #"{"key":"pk_acme_test"}"#)
        #expect(beat.status == 200, "\(beat.text)")
        #expect(beat.json?["number"] as? String == numberA)
        #expect(try s.db.scalar("SELECT utm_campaign || '|' || gclid || '|' || visitor_id FROM dni_sessions WHERE session_id = $1", [id]) == "spring|abc123|v-1")
        // The admin API shows the pool.
        let unauthorized = try HTTPExchange.send("GET", s.web.baseURL + "/v1/admin/pools")
        #expect(unauthorized.status == 401)
        let pools = try HTTPExchange.send("GET", s.web.baseURL + "/v1/admin/pools",
                                          headers: ["Authorization": "Bearer \(WebServiceProcess.adminToken)"])
        #expect(pools.status == 200)
        #expect(pools.text.contains(#""leased":2"#) && pools.text.contains(#""free":2"#), "\(pools.text)")
    }

    /// Every refusal is a 4xx whose JSON body says why.
    @Test func badInputGetsAClear4xx() throws {
        let s = try Setup()
        defer { s.cleanUp() }
        func expect(_ r: HTTPExchange, _ status: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status == status, "\(r.status) \(r.text)", sourceLocation: sourceLocation)
            let error = r.json?["error"] as? String ?? ""
            #expect(error.contains(reason), "\(r.text)", sourceLocation: sourceLocation)
        }
        expect(try s.post("/v1/sessions", "{not json"), 400, "malformed JSON")
        expect(try s.post("/v1/sessions", ""), 400, "body is empty")
        expect(try s.post("/v1/sessions", #"{"key":"pk_acme_test"}"#), 400, "missing field 'pool'")
        expect(try s.post("/v1/sessions", #"{"key":"pk_acme_test","pool":7}"#), 400, "'pool' has the wrong type")
        expect(try s.post("/v1/sessions", Self.sessionBody(pool: "print")), 404, "unknown pool 'print' for account 'acme' (pools: website)")
        expect(try s.post("/v1/sessions", Self.sessionBody(key: "pk_nobody_1")), 403, "unknown key")
        expect(try s.post("/v1/sessions", Self.sessionBody(), origin: "https://evil.example"), 403, "origin https://evil.example not allowed")
        expect(try s.post("/v1/sessions", Self.sessionBody(key: "pk_other_test")), 403, "not allowed for this key")
        expect(try s.post("/v1/sessions", Self.sessionBody(), origin: nil), 403, "Origin header missing")
        expect(try s.post("/v1/sessions", Self.sessionBody(), contentType: "application/x-www-form-urlencoded"), 415, "must be JSON")
        expect(try s.post("/v1/sessions", #"{"key":"pk_acme_test","pool":"website","utm_term":"\#(String(repeating: "x", count: 300))"}"#), 400, "utm_term is longer than 256")
        expect(try s.post("/v1/sessions", #"{"key":"pk_acme_test","pool":"website","visitor_id":"a\u0001b"}"#), 400, "visitor_id contains control characters")
        expect(try s.post("/v1/sessions", #"{"key":"pk_acme_test","pool":"website","landing_url":"not a url"}"#), 400, "landing_url is not an absolute URL")
        expect(try s.post("/v1/sessions", "{\"key\":\"" + String(repeating: "k", count: 20_000) + "\"}"), 413, "larger than 16384 bytes")
        expect(try s.post("/v1/sessions/not-a-uuid/heartbeat", #"{"key":"pk_acme_test"}"#), 400, "session id must be a UUID")
        expect(try s.post("/v1/sessions/\(UUID().uuidString)/heartbeat", #"{"key":"pk_acme_test"}"#), 404, "no session")
        expect(try s.post("/v1/sessions/\(UUID().uuidString)/heartbeat", #"{}"#), 400, "key is missing")
        expect(try HTTPExchange.send("GET", s.web.baseURL + "/v1/nothing"), 404, "Not Found")
        expect(try HTTPExchange.send("GET", s.web.baseURL + "/v1/admin/pools", headers: ["Authorization": "Bearer wrong-token-wrong-token"]), 401, "admin token required")
        // A preflight passes for a configured origin only.
        let preflight = try HTTPExchange.send("OPTIONS", s.web.baseURL + "/v1/sessions",
                                              headers: ["Origin": Self.origin, "Access-Control-Request-Method": "POST"])
        #expect(preflight.status == 204 && preflight.headers["access-control-allow-origin"] == Self.origin)
        expect(try HTTPExchange.send("OPTIONS", s.web.baseURL + "/v1/sessions", headers: ["Origin": "https://evil.example"]), 403, "origin not allowed")
        // Nothing above leased a number, and the service is still up.
        #expect(try s.db.scalar("SELECT count(*) FROM dni_leases") == "0")
        #expect(try HTTPExchange.send("GET", s.web.baseURL + "/healthz").status == 200)
        #expect(!s.web.log().contains("unexpected error"))
    }

    @Test func anExpiredSessionIsGoneAndTheSnippetIsServed() throws {
        let s = try Setup()
        defer { s.cleanUp() }
        let a = try s.post("/v1/sessions", Self.sessionBody())
        let id = try #require(a.json?["session_id"] as? String)
        try s.db.connect().execute("UPDATE dni_leases SET expires_at = now() - interval '1 second'")
        let beat = try s.post("/v1/sessions/\(id)/heartbeat", #"{"key":"pk_acme_test"}"#)
        #expect(beat.status == 410, "\(beat.text)")
        let snippet = try HTTPExchange.send("GET", s.web.baseURL + "/v1/snippet.js")
        #expect(snippet.status == 200)
        #expect(snippet.headers["content-type"]?.hasPrefix("application/javascript") == true)
        #expect(snippet.text.contains("/v1/sessions") && snippet.text.contains("visibilityState"))

        // The database goes away: 503 with a reason and Retry-After, never a 500; once it is
        // back, the next request is served (the pool's stale connection is replaced).
        s.db.cluster.stop()
        let down = try s.post("/v1/sessions", Self.sessionBody())
        #expect(down.status == 503 && down.headers["retry-after"] != nil, "\(down.text)")
        #expect(down.json?["error"] as? String == "database unavailable, try again later")
        try s.db.cluster.start()
        let back = try s.post("/v1/sessions", Self.sessionBody())
        #expect(back.status == 201, "\(back.text)")
        // A restart between two requests: the idle connection is stale, the request is
        // retried once on a new one and succeeds.
        s.db.cluster.stop()
        try s.db.cluster.start()
        let afterRestart = try s.post("/v1/sessions", Self.sessionBody())
        #expect(afterRestart.status == 201, "\(afterRestart.text)")
    }

    /// A client address that spends its bucket gets 429 with Retry-After; the limit is per
    /// address, not global.
    @Test func rateLimitPerClientAddress() throws {
        let s = try Setup(extraConfig: "rate-limit: { burst: 3, per-second: 0.01 }")
        defer { s.cleanUp() }
        let statuses = try (0..<5).map { _ in try HTTPExchange.send("GET", s.web.baseURL + "/v1/snippet.js").status }
        #expect(statuses == [200, 200, 200, 429, 429])
        let limited = try HTTPExchange.send("GET", s.web.baseURL + "/v1/snippet.js")
        #expect(limited.headers["retry-after"].flatMap(Int.init).map { $0 > 0 } == true)
        #expect(limited.json?["error"] as? String == "too many requests from 127.0.0.1")
    }

    /// Behind a trusted proxy the bucket is the forwarded client's, not the proxy's.
    @Test func rateLimitBehindATrustedProxy() throws {
        let s = try Setup(extraConfig: "rate-limit: { burst: 2, per-second: 0.01 }\ntrusted-proxies: [\"127.0.0.1/32\"]")
        defer { s.cleanUp() }
        func get(_ client: String) throws -> Int {
            try HTTPExchange.send("GET", s.web.baseURL + "/v1/snippet.js", headers: ["X-Forwarded-For": client]).status
        }
        #expect(try [get("198.51.100.7"), get("198.51.100.7"), get("198.51.100.7")] == [200, 200, 429])
        #expect(try get("198.51.100.8") == 200)
    }

    /// On an empty database the service brings the leg and tracking schemas up to date itself.
    @Test func startsOnAnUnmigratedDatabase() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(2))
        defer { db.cleanUp() }
        let empty = db.cluster.connectionString(database: try db.cluster.createDatabase())
        let web = try WebServiceProcess(database: empty, dialplans: db.dialplans.path, accounts: """
              acme:
                public-key: pk_acme_test
                origins: ["\(Self.origin)"]
            """)
        defer { web.stop() }
        let r = try HTTPExchange.send("POST", web.baseURL + "/v1/sessions", headers: ["Origin": Self.origin, "Content-Type": "text/plain"],
                                      body: Data(Self.sessionBody().utf8))
        #expect(r.status == 201, "\(r.text)")
    }

    @Test func tokenBucketRefills() {
        let buckets = TokenBuckets(burst: 2, perSecond: 1)
        #expect(buckets.take("a", now: 100) == nil)
        #expect(buckets.take("a", now: 100) == nil)
        #expect(buckets.take("a", now: 100) != nil)
        #expect(buckets.take("b", now: 100) == nil)
        #expect(buckets.take("a", now: 101.01) == nil)
        // Idle buckets are forgotten once full again.
        _ = buckets.take("c", now: 200)
        #expect(buckets.trackedAddresses == 1)
    }
}

/// Issue 16 item 6: pool health as metrics and a warning log once a pool is above 75 % leased.
@Suite(.serialized) struct PoolHealthTests {
    @Test func metricsAndTheNearlyFullWarning() throws {
        let s = try WebAPITests.Setup(poolSize: 2, extraConfig: "pool-check-interval: 1s")
        defer { s.cleanUp() }
        for _ in 0..<3 { #expect(try s.post("/v1/sessions", WebAPITests.sessionBody()).status == 201) }
        let metrics = try HTTPExchange.send("GET", s.web.baseURL + "/v1/admin/metrics",
                                            headers: ["Authorization": "Bearer \(WebServiceProcess.adminToken)"])
        #expect(metrics.status == 200)
        let lines = Set(metrics.text.split(separator: "\n").map(String.init))
        for expected in ["switchboard_dni_pool_numbers{account=\"acme\",pool=\"website\"} 2",
                         "switchboard_dni_pool_leased{account=\"acme\",pool=\"website\"} 2",
                         "switchboard_dni_pool_free{account=\"acme\",pool=\"website\"} 0",
                         "switchboard_dni_takeovers_total{account=\"acme\",pool=\"website\"} 1",
                         "switchboard_dni_unattributed_calls_total{account=\"acme\",pool=\"website\"} 0",
                         "switchboard_dni_pool_nearly_full{account=\"acme\",pool=\"website\"} 1"] {
            #expect(lines.contains(expected), "\(expected) in \(metrics.text)")
        }
        #expect(try HTTPExchange.send("GET", s.web.baseURL + "/v1/admin/metrics").status == 401)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && !s.web.log().contains("pool above 75 % leased") { usleep(100_000) }
        #expect(s.web.log().contains("pool above 75 % leased"), "\(s.web.log().suffix(1500))")
        #expect(s.web.log().contains("add 1 numbers"))
    }

    @Test func adviceFromVisitorsAndFromPeaks() throws {
        #expect(PoolAdvice.numbers(visitorsPerDay: 100) == 4)
        #expect(PoolAdvice.numbers(visitorsPerDay: 101) == 5)
        #expect(PoolAdvice.numbers(visitorsPerDay: 0) == 1)
        #expect(PoolAdvice.numbers(visitorsPerDay: 100, visitorsPerNumber: 10) == 10)
        #expect(PoolAdvice.numbersToAdd(size: 4, peak: 3) == 0)
        #expect(PoolAdvice.numbersToAdd(size: 4, peak: 4) == 2)   // 4 / 0.75 → 6
        #expect(PoolAdvice.isNearlyFull(leased: 4, size: 4) && !PoolAdvice.isNearlyFull(leased: 3, size: 4))
    }

    /// `switchboard pools advise`, from visitors and from the lease history: the peak counts a
    /// taken-over session until its own expiry, so a full pool shows demand above its size.
    @Test func poolsAdviseCommand() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(2))
        defer { db.cleanUp() }
        let store = try db.store()
        for _ in 0..<3 { _ = try store.createSession(account: "acme", request: .sample(), policy: SessionPolicy()) }
        let usage = try store.usage(since: "2000-01-01T00:00:00Z")
        #expect(usage == [PoolUsage(account: "acme", pool: "website", size: 2, peakSessions: 3, sessions: 3, takeovers: 1, unattributedCalls: 0)])
        let out = try CLI.run(["pools", "advise", "--visitors-per-day", "100", "--database", db.connectionString])
        #expect(out.status == 0, "\(out.text)")
        #expect(out.text.contains("100 visitors a day at 1 number per 25: 4 numbers"))
        #expect(out.text.contains("acme\twebsite\t2\t3\t3\t1\t0\tadd 2 (peak above 75 %)"), "\(out.text)")
    }
}

enum CLI {
    static func run(_ arguments: [String]) throws -> (status: Int32, text: String) {
        let run = try SwitchboardCLI.run(arguments)
        return (run.status, run.output)
    }
}
