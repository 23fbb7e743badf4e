import Testing
@testable import SwitchboardConfig

/// `sip: { threads: N }` (issue 12 item 4).
@Suite struct SIPConfigurationTests {
    @Test func defaultIsOneLoopPerCore() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml")
        #expect(c.sip.threads == nil)
        #expect(c.sip.threadCount(cores: 8) == 8)
        #expect(c.sip.threadCount(cores: 1) == 1)
    }

    @Test func readsThreads() throws {
        let c = try SwitchboardConfiguration.parse(yaml: "sip: { threads: 3 }", path: "x.yaml")
        #expect(c.sip.threadCount(cores: 16) == 3)
        #expect(try SwitchboardConfiguration.parse(yaml: "sip: { threads: 1 }", path: "x.yaml").sip.threadCount(cores: 4) == 1)
    }

    @Test func refusesBadValuesWithPositions() {
        for yaml in ["sip: { threads: 0 }", "sip: { threads: 65 }", "sip: { thread: 2 }", "sip: 2"] {
            #expect(throws: ConfigurationError.self, "\(yaml)") { try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml") }
        }
        do {
            _ = try SwitchboardConfiguration.parse(yaml: "log-level: info\nsip: { thread: 2 }\n", path: "x.yaml")
            Issue.record("accepted an unknown key")
        } catch {
            #expect("\(error)".contains("x.yaml:2:"), "\(error)")
            #expect("\(error)".contains("did you mean 'threads'"), "\(error)")
        }
    }
}
