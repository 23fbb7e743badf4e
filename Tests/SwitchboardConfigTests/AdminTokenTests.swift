import Foundation
import Testing
@testable import SwitchboardConfig

/// Issue 13 item 6: the admin endpoint's bearer token and the rule that a non-loopback
/// admin address needs one.
@Suite struct AdminTokenTests {
    @Test func theTokenMatchesOnlyItselfAsABearerCredential() throws {
        let token = try #require(AdminToken("  0123456789abcdef-secret \n"))
        #expect(token.matches(authorization: "Bearer 0123456789abcdef-secret"))
        #expect(token.matches(authorization: "bearer 0123456789abcdef-secret"))
        #expect(!token.matches(authorization: "Bearer 0123456789abcdef-secreT"))
        #expect(!token.matches(authorization: "Bearer 0123456789abcdef-secre"))
        #expect(!token.matches(authorization: "Bearer 0123456789abcdef-secrets"))
        #expect(!token.matches(authorization: "Basic 0123456789abcdef-secret"))
        #expect(!token.matches(authorization: "Bearer"))
        #expect(!token.matches(authorization: nil))
        #expect(!"\(token)".contains("secret"))
    }

    @Test func shortOrMultiWordTokensAreRefused() {
        #expect(AdminToken("short") == nil)
        #expect(AdminToken("0123456789 abcdef") == nil)
        #expect(AdminToken(String(repeating: "a", count: 16)) != nil)
    }

    @Test func loopbackAddresses() {
        typealias E = SwitchboardConfiguration.MetricsEndpoint
        #expect(E(host: "127.0.0.1", port: 1).isLoopback)
        #expect(E(host: "127.9.8.7", port: 1).isLoopback)
        #expect(E(host: "::1", port: 1).isLoopback)
        #expect(!E(host: "0.0.0.0", port: 1).isLoopback)
        #expect(!E(host: "::", port: 1).isLoopback)
        #expect(!E(host: "192.0.2.1", port: 1).isLoopback)
    }

    @Test func aPublicAdminAddressNeedsATokenFile() throws {
        #expect(throws: ConfigurationError.self) {
            try SwitchboardConfiguration.parse(yaml: "metrics: 0.0.0.0:9090\n", path: "/etc/s.yaml")
        }
        do {
            _ = try SwitchboardConfiguration.parse(yaml: "log-level: info\nmetrics: \"[::]:9090\"\n", path: "/etc/s.yaml")
        } catch {
            #expect(error.diagnostics.map(\.description)
                == ["/etc/s.yaml:2:10: error: metrics on [::]:9090 is reachable from other hosts: set admin-token-file (a file holding a bearer token), or listen on 127.0.0.1"])
        }
        let loopback = try SwitchboardConfiguration.parse(yaml: "metrics: 9090\n", path: "/etc/s.yaml")
        #expect(loopback.metrics?.isLoopback == true)
    }

    @Test func theTokenFileIsReadRelativeToTheConfigAndMustBePrivate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("admin.token")
        FileManager.default.createFile(atPath: file.path, contents: Data("abcdefghijklmnopqrstuvwxyz\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        let config = try SwitchboardConfiguration.parse(yaml: "metrics: 0.0.0.0:9090\nadmin-token-file: admin.token\n",
                                                        path: dir.appendingPathComponent("s.yaml").path)
        #expect(config.adminTokenFile == file.path)
        #expect(config.adminToken?.matches(authorization: "Bearer abcdefghijklmnopqrstuvwxyz") == true)

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        do {
            _ = try SwitchboardConfiguration.parse(yaml: "admin-token-file: admin.token\n", path: dir.appendingPathComponent("s.yaml").path)
            Issue.record("a group-readable token file was accepted")
        } catch {
            #expect(error.diagnostics.first?.message.contains("may be read by other users (mode 640): chmod 600 it") == true)
        }
        do {
            _ = try SwitchboardConfiguration.parse(yaml: "admin-token-file: missing.token\n", path: dir.appendingPathComponent("s.yaml").path)
            Issue.record("a missing token file was accepted")
        } catch {
            #expect(error.diagnostics.first?.line == 1)
            #expect(error.diagnostics.first?.column == 19)
        }
    }
}
