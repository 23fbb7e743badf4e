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
