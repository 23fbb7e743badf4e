import Testing
@testable import SwitchboardConfig

/// The TCP limits of issue 13, item 4: per-source cap, first-request timeout, outbound cap.
@Suite struct TransportLimitsConfigurationTests {
    @Test func defaults() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml")
        #expect(c.limits.maxTCPConnections == 4096)
        #expect(c.limits.maxTCPConnectionsPerSource == 128)
        #expect(c.limits.tcpFirstRequestTimeoutSeconds == 5)
        #expect(c.limits.maxTCPOutboundConnections == 1024)
    }

    @Test func readsTheNewKeys() throws {
        let yaml = """
        limits:
          max-tcp-connections-per-source: 8
          tcp-first-request-timeout: 2s
          max-tcp-outbound-connections: 300
        """
        let c = try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml")
        #expect(c.limits.maxTCPConnectionsPerSource == 8)
        #expect(c.limits.tcpFirstRequestTimeoutSeconds == 2)
        #expect(c.limits.maxTCPOutboundConnections == 300)
    }

    @Test func badValuesHaveTheirPosition() {
        let yaml = """
        limits:
          max-tcp-connections-per-source: 0
          tcp-first-request-timeout: soon
          max-tcp-outbund-connections: 3
        """
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "sb.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("sb.yaml:2:35: error: expected a whole number in 1...1000000") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("sb.yaml:3:30: error:") }, "\(lines)")
            #expect(lines.contains("sb.yaml:4:3: error: unknown key 'max-tcp-outbund-connections'; did you mean 'max-tcp-outbound-connections'?"), "\(lines)")
        }
    }
}
