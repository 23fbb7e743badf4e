import Testing
@testable import SwitchboardConfig

@Suite struct MediaConfigurationTests {
    @Test func defaults() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml")
        #expect(c.media.address == "127.0.0.1")
        #expect(c.media.ports == 20000...29999)
        #expect(c.media.timeoutSeconds == 60)
        // RTP threads: every core but the SIP loop's, never none.
        #expect(c.media.threads == nil)
        #expect(c.media.threadCount(cores: 8) == 7)
        #expect(c.media.threadCount(cores: 2) == 1)
        #expect(c.media.threadCount(cores: 1) == 1)
    }

    @Test func readsThreads() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "media: { threads: 3 }", path: "x.yaml")
        #expect(c.media.threadCount(cores: 16) == 3)
        #expect(throws: (any Error).self) { try SwitchboardConfiguration.parse(yaml: "media: { threads: 0 }", path: "x.yaml") }
    }

    @Test func readsAddressPortsAndTimeout() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "media: { address: 10.0.0.5, ports: 30000-30999, timeout: 15s }", path: "x.yaml")
        #expect(c.media.address == "10.0.0.5")
        #expect(c.media.ports == 30000...30999)
        #expect(c.media.timeoutSeconds == 15)
    }

    @Test func refusesBadValuesWithPositions() {
        let yaml = """
        media:
          address: pbx.example
          ports: 30000-29000
          timeout: 0s
          adress: 1.2.3.4
        """
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "m.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.count == 4, "\(lines)")
            #expect(lines.contains("m.yaml:2:12: error: 'pbx.example' is not an IP address"))
            #expect(lines.contains { $0.hasPrefix("m.yaml:3:10: error: ports is a range") })
            #expect(lines.contains("m.yaml:4:12: error: media timeout must be at least 1s"))
            #expect(lines.contains("m.yaml:5:3: error: unknown key 'adress'; did you mean 'address'?"))
        }
    }
}
