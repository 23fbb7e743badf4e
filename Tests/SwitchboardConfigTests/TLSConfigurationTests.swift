import Foundation
import Testing
@testable import SwitchboardConfig

/// Issue 15 item 6 and its config validation: `tls:`/`ws:`/`wss:` listeners, the `tls:`
/// section and its files, each mistake reported at its line.
@Suite struct TLSConfigurationTests {
    /// A directory with a PEM-looking certificate and key (the daemon parses them for real;
    /// the loader checks they exist, can be read and hold the right PEM block).
    func files() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tlsconf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(to: dir.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n".write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        return dir
    }

    func diagnostics(_ yaml: String, in dir: URL) -> [ConfigurationDiagnostic] {
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: dir.appendingPathComponent("switchboard.yaml").path)
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func tlsAndWebSocketListenersWithTheirDefaultPortsAndCertificates() throws {
        let dir = try files()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try SwitchboardConfiguration.parse(yaml: """
            listen: ["udp:127.0.0.1:5060", "tls:0.0.0.0", "ws:127.0.0.1:8080", "wss:[::1]"]
            tls:
              certificate: cert.pem
              private-key: key.pem
            trunks:
              - { name: carrier, host: 192.0.2.10, port: 5061, transport: tls }
            """, path: dir.appendingPathComponent("switchboard.yaml").path)
        #expect(config.listen.map(\.description) == ["udp:127.0.0.1:5060", "tls:0.0.0.0:5061", "ws:127.0.0.1:8080", "wss:[::1]:443"])
        // Relative to the config file's directory.
        #expect(config.tls?.certificateFile == dir.appendingPathComponent("cert.pem").path)
        #expect(config.tls?.verifyClients == false)
        #expect(config.trunks.first?.transport == "tls")
    }

    @Test func aTLSListenerWithoutACertificateIsAnErrorAtTheListenLine() throws {
        let dir = try files()
        defer { try? FileManager.default.removeItem(at: dir) }
        let found = diagnostics("log-level: info\nlisten: [\"tls:127.0.0.1:5061\"]\n", in: dir)
        #expect(found.count == 1)
        #expect(found.first?.line == 2, "\(found)")
        #expect(found.first?.message.contains("needs a certificate") == true, "\(found)")
        // Without any TLS listener (the development default), no certificate is needed.
        #expect(diagnostics("listen: [\"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5060\"]\n", in: dir).isEmpty)
    }

    @Test func missingUnreadableOrWrongFilesAreReportedAtTheirLines() throws {
        let dir = try files()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "just text\n".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let found = diagnostics("""
            listen: ["tls:127.0.0.1:5061"]
            tls:
              certificate: missing.pem
              private-key: cert.pem
              client-ca: notes.txt
              verify-clients: maybe
            """, in: dir)
        let byLine = Dictionary(grouping: found, by: \.line)
        #expect(byLine[3]?.first?.message.contains("certificate file") == true && byLine[3]?.first?.message.contains("does not exist") == true, "\(found)")
        #expect(byLine[4]?.first?.message.contains("holds no PEM private key") == true, "\(found)")
        #expect(byLine[5]?.first?.message.contains("holds no PEM certificate") == true, "\(found)")
        #expect(byLine[6]?.first?.message.contains("verify-clients is true or false") == true, "\(found)")
        #expect(found.first.map { "\($0)" }?.hasPrefix(dir.appendingPathComponent("switchboard.yaml").path + ":") == true)

        // Unreadable (mode 000), when not root: root reads anything.
        let key = dir.appendingPathComponent("key.pem").path
        chmod(key, 0)
        defer { chmod(key, 0o600) }
        if getuid() != 0 {
            let unreadable = diagnostics("tls:\n  certificate: cert.pem\n  private-key: key.pem\n", in: dir)
            #expect(unreadable.first?.message.contains("cannot be read") == true, "\(unreadable)")
        }
    }

    @Test func verifyClientsNeedsAClientCAAndUnknownKeysAreNamed() throws {
        let dir = try files()
        defer { try? FileManager.default.removeItem(at: dir) }
        let found = diagnostics("tls:\n  certificate: cert.pem\n  private-key: key.pem\n  verify-clients: true\n  client-cert: x\n", in: dir)
        #expect(found.contains { $0.line == 4 && $0.message.contains("needs client-ca") }, "\(found)")
        #expect(found.contains { $0.line == 5 && $0.message.contains("unknown key 'client-cert'") }, "\(found)")
        #expect(diagnostics("tls:\n  private-key: key.pem\n", in: dir).first?.message.contains("needs certificate") == true)
        #expect(diagnostics("listen: [\"sctp:127.0.0.1:5060\"]\n", in: dir).first?.message.contains("tls:0.0.0.0:5061") == true)
        #expect(diagnostics("trunks:\n  - { name: a, host: 192.0.2.1, transport: sctp }\n", in: dir).first?.message.contains("udp, tcp or tls") == true)
    }
}
