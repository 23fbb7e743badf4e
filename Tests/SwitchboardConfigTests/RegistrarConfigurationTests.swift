import Testing
@testable import SwitchboardConfig

@Suite struct RegistrarConfigurationTests {
    @Test func defaults() throws {
        let r = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml").registrar
        #expect(r.enabled && r.realm == "switchboard" && r.domain == nil)
        #expect(r.minExpires == 60 && r.maxExpires == 3600 && r.defaultExpires == 3600)
        #expect(r.algorithms == ["SHA-256"])
        #expect(r.failuresPerSource == 5 && r.failuresPerUser == 10 && r.failureWindowSeconds == 300 && r.blockSeconds == 900)
    }

    @Test func readsEveryKey() throws {
        let yaml = """
        registrar:
          enabled: false
          realm: acme
          domain: sip.acme.example
          expires: { min: 30, max: 600, default: 300 }
          max-contacts: 3
          nonce-lifetime: 2m
          auth: { md5: true }
          failures: { per-source: 3, per-user: 7, window: 1m, block: 1h }
          refresh: 2s
        """
        let r = try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml").registrar
        #expect(!r.enabled && r.realm == "acme" && r.domain == "sip.acme.example")
        #expect(r.minExpires == 30 && r.maxExpires == 600 && r.defaultExpires == 300 && r.maxContacts == 3)
        #expect(r.nonceLifetimeSeconds == 120 && r.refreshSeconds == 2)
        #expect(r.algorithms == ["SHA-256", "MD5"])
        #expect(r.failuresPerSource == 3 && r.failuresPerUser == 7 && r.failureWindowSeconds == 60 && r.blockSeconds == 3600)
        let ordered = try SwitchboardConfiguration.parse(yaml: "registrar: { auth: { algorithms: [MD5, SHA-256] } }", path: "x.yaml")
        #expect(ordered.registrar.algorithms == ["MD5", "SHA-256"])
    }

    @Test func problemsHaveTheirPositions() {
        let yaml = """
        registrar:
          expires: { min: 600, max: 60 }
          auth: { algorithms: [SHA-512] }
          realmm: x
        """
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "sb.yaml")
            Issue.record("expected errors")
        } catch {
            let text = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(text.contains("sb.yaml:2:12"), "\(text)")
            #expect(text.contains("expires.min (600) is above expires.max (60)"), "\(text)")
            #expect(text.contains("unknown digest algorithm 'SHA-512'"), "\(text)")
            #expect(text.contains("sb.yaml:4:3"), "\(text)")
        }
    }
}
