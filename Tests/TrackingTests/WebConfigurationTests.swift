import Foundation
import Testing
@testable import Tracking

/// The web configuration file: defaults, and `file:line:col` diagnostics like the dialplans'.
@Suite struct WebConfigurationTests {
    @Test func aCompleteFileLoads() throws {
        let loaded = WebConfiguration.parse("""
        listen: "[::1]:9443"
        database: "postgresql://localhost/switchboard"
        dialplans: /etc/switchboard/dialplans
        sessions: { idle-timeout: 20m, attribution-grace: 90s }
        rate-limit: { burst: 10, per-second: 0.5 }
        accounts:
          acme:
            public-key: pk_acme_12345
            origins: ["https://www.acme.example", "https://Shop.Acme.example:8443"]
        """, path: "web.yaml")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let c = try #require(loaded.configuration)
        #expect(c.host == "::1" && c.port == 9443)
        #expect(c.sessions == SessionPolicy(idleTimeout: 1200, attributionGrace: 90))
        #expect(c.sessions.heartbeatInterval == 300)
        #expect(c.rateLimit == .init(burst: 10, perSecond: 0.5))
        #expect(c.account(publicKey: "pk_acme_12345")?.allows(origin: "https://shop.acme.example:8443") == true)
        #expect(c.account(publicKey: "pk_acme_12345")?.allows(origin: "https://evil.example") == false)
    }

    @Test func theClientBehindATrustedProxyIsTheRightMostUntrustedHop() throws {
        let loaded = WebConfiguration.parse("""
        database: "x"
        dialplans: /d
        trusted-proxies: ["127.0.0.1/32", "10.0.0.0/8"]
        accounts: {}
        """, path: "web.yaml")
        let c = try #require(loaded.configuration, "\(loaded.diagnostics)")
        #expect(c.clientAddress(peer: "127.0.0.1", forwardedFor: "198.51.100.7") == "198.51.100.7")
        // A client's own X-Forwarded-For entry (left) is not believed; the hop our proxy saw is.
        #expect(c.clientAddress(peer: "127.0.0.1", forwardedFor: "1.2.3.4, 198.51.100.7, 10.1.2.3") == "198.51.100.7")
        #expect(c.clientAddress(peer: "127.0.0.1", forwardedFor: nil) == "127.0.0.1")
        // From an untrusted peer the header is ignored.
        #expect(c.clientAddress(peer: "192.0.2.1", forwardedFor: "198.51.100.7") == "192.0.2.1")
        let bad = WebConfiguration.parse("""
        database: "x"
        dialplans: /d
        trusted-proxies: ["proxy.example"]
        accounts: {}
        """, path: "web.yaml")
        #expect(bad.diagnostics.map(\.description).contains { $0.hasPrefix("web.yaml:3:19: error: 'proxy.example' is not an address or CIDR block") },
                "\(bad.diagnostics)")
    }

    @Test func defaultsAreThirtyMinutesIdleAndTwoMinutesGrace() {
        let c = WebConfiguration()
        #expect(c.sessions.idleTimeout == 1800 && c.sessions.attributionGrace == 120)
        #expect(c.host == "127.0.0.1" && c.port == 8088)
    }

    @Test func problemsAreReportedWithLineAndColumn() {
        let loaded = WebConfiguration.parse("""
        listen: nowhere
        database: "x"
        dialplans: /d
        sesions: {}
        sessions: { idle-timeout: 5s }
        accounts:
          acme:
            public-key: pk_acme_12345
            origins: ["https://www.acme.example/landing"]
          copy:
            public-key: pk_acme_12345
            origins: []
        """, path: "web.yaml")
        #expect(loaded.configuration == nil)
        let lines = loaded.diagnostics.map(\.description)
        #expect(lines.contains("web.yaml:1:9: error: listen must be host:port (e.g. 127.0.0.1:8088 or [::1]:8088), not 'nowhere'"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("web.yaml:4:1: error: unknown key 'sesions'") }, "\(lines)")
        #expect(lines.contains("web.yaml:5:27: error: idle-timeout must be at least 10s"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("web.yaml:9:15: error: 'https://www.acme.example/landing' is not an origin") }, "\(lines)")
        #expect(lines.contains("web.yaml:11:17: error: public-key is already the key of account 'acme'"), "\(lines)")
    }
}

/// `switchboard web --check` runs the real loading code without serving (like nginx -t).
@Suite struct WebCheckCommandTests {
    @Test func checkReportsProblemsWithLocationsAndPassesAGoodFile() throws {
        let dialplans = try TrackingDatabase.writeDialplan(poolNumbers: TrackingDatabase.numbers(3))
        defer { try? FileManager.default.removeItem(at: dialplans) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("web-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yaml"), bad = dir.appendingPathComponent("bad.yaml")
        try """
        database: "postgresql://localhost/x"
        dialplans: \(dialplans.path)
        accounts:
          acme: { public-key: pk_acme_12345, origins: ["https://www.acme.example"] }
        """.write(to: good, atomically: true, encoding: .utf8)
        try """
        database: "postgresql://localhost/x"
        dialplans: \(dialplans.path)
        accounts:
          acme: { public-key: pk_acme_12345, origins: ["ftp://www.acme.example"] }
          ghost: { public-key: pk_ghost_12345, origins: ["https://ghost.example"] }
        """.write(to: bad, atomically: true, encoding: .utf8)
        let ok = try CLI.run(["web", "--check", "--config", good.path])
        #expect(ok.status == 0, "\(ok.text)")
        #expect(ok.text.contains("web configuration ok: 1 accounts, 1 pools, 3 pool numbers, 0 with webhooks"))
        let failed = try CLI.run(["web", "--check", "--config", bad.path])
        #expect(failed.status != 0)
        #expect(failed.text.contains("\(bad.path):4:48: error: 'ftp://www.acme.example' is not an origin"), "\(failed.text)")
        let ghost = dir.appendingPathComponent("ghost.yaml")
        try """
        database: "postgresql://localhost/x"
        dialplans: \(dialplans.path)
        accounts:
          ghost: { public-key: pk_ghost_12345, origins: ["https://ghost.example"] }
        """.write(to: ghost, atomically: true, encoding: .utf8)
        let missing = try CLI.run(["web", "--check", "--config", ghost.path])
        #expect(missing.status != 0 && missing.text.contains("account 'ghost' has no dialplan file"), "\(missing.text)")
    }
}
