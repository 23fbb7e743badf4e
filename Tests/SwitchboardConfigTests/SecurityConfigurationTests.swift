import Testing
@testable import SwitchboardConfig

@Suite struct SecurityConfigurationTests {
    @Test func defaultsAreKamailiosFloodRule() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml")
        #expect(c.security.untrusted == "reject")
        #expect(c.security.floodRequests == 16 && c.security.floodWindowSeconds == 2 && c.security.banSeconds == 300)
        #expect(c.security.floodNewCalls == 4)
        #expect(c.security.trustedFloodRequests == 10_000 && c.security.trustedFloodWindowSeconds == 1)
        #expect(c.security.maxSources == 16_384)
    }

    @Test func readsEveryKey() throws {
        let yaml = """
        security:
          untrusted: drop
          flood: { requests: 32, window: 4s, new-calls: 2, ban: 10m }
          trusted-flood: { requests: 900, window: 500ms }
          max-sources: 1000
        """
        let s = try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml").security
        #expect(s.untrusted == "drop")
        #expect(s.floodRequests == 32 && s.floodWindowSeconds == 4 && s.floodNewCalls == 2 && s.banSeconds == 600)
        #expect(s.trustedFloodRequests == 900 && s.trustedFloodWindowSeconds == 0.5)
        #expect(s.maxSources == 1000)
    }

    @Test func problemsHaveTheirPositions() {
        let yaml = """
        security:
          untrusted: tarpit
          flood: { requests: 0, window: 0s, bann: 5m }
          trusted-flood: 7
          max-source: 10
        """
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "sb.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.count == 6)
            #expect(lines.contains { $0.hasPrefix("sb.yaml:2:14: error: untrusted is reject (one stateless 403) or drop") })
            #expect(lines.contains { $0.hasPrefix("sb.yaml:3:22: error: expected a whole number in 1...1000000") })
            #expect(lines.contains("sb.yaml:3:33: error: the window must be longer than zero"))
            #expect(lines.contains("sb.yaml:3:37: error: unknown key 'bann'; did you mean 'ban'?"))
            #expect(lines.contains("sb.yaml:4:18: error: expected a mapping"))
            #expect(lines.contains("sb.yaml:5:3: error: unknown key 'max-source'; did you mean 'max-sources'?"))
        }
    }
}
