import Foundation
import Testing
@testable import SwitchboardConfig

@Suite struct ConfigurationTests {
    @Test func defaultsListenOnLoopbackAndTrustOnlyLoopback() throws {
        let config = try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml")
        #expect(config.listen.map(\.description) == ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"])
        #expect(config.isTrusted("127.0.0.1"))
        #expect(config.isTrusted("::1"))
        #expect(!config.isTrusted("192.0.2.1"))
        #expect(config.limits.maxMessageSize == 65_536)
        #expect(config.serverHeader == nil)
    }

    @Test func readsEveryField() throws {
        let yaml = """
        listen: ["udp:127.0.0.2:5070", "tcp:[::1]:5071"]
        trusted-networks: ["203.0.113.0/24", "2001:db8::/32"]
        dialplans: /etc/switchboard/dialplans
        log-level: debug
        server-header: Switchboard
        limits: { max-message-size: 4096, tcp-stall-timeout: 2s }
        timers: { t1: 250ms, t2: 2s }
        """
        let c = try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml")
        #expect(c.listen.map(\.description) == ["udp:127.0.0.2:5070", "tcp:[::1]:5071"])
        #expect(c.isTrusted("203.0.113.77"))
        #expect(!c.isTrusted("203.0.114.1"))
        #expect(c.isTrusted("2001:db8:1::5"))
        #expect(!c.isTrusted("127.0.0.1"))
        #expect(c.dialplanDirectory == "/etc/switchboard/dialplans")
        #expect(c.logLevel == "debug")
        #expect(c.serverHeader == "Switchboard")
        #expect(c.limits.maxMessageSize == 4096)
        #expect(c.limits.tcpStallTimeoutSeconds == 2)
        #expect(c.timers.t1 == 250 && c.timers.t2 == 2000 && c.timers.t4 == 5000)
    }

    @Test func reportsEveryProblemWithItsPosition() {
        let yaml = """
        listen: ["udp:127.0.0.1:99999"]
        trusted-netwroks: ["10.0.0.0/8"]
        log-level: loud
        limits: { max-message-size: 12 }
        """
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "sb.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.count == 4)
            #expect(lines.contains("sb.yaml:1:10: error: '99999' is not a port number"))
            #expect(lines.contains("sb.yaml:2:1: error: unknown key 'trusted-netwroks'; did you mean 'trusted-networks'?"))
            #expect(lines.contains { $0.hasPrefix("sb.yaml:3:12: error: unknown log level 'loud'") })
            #expect(lines.contains { $0.hasPrefix("sb.yaml:4:29: error: expected a whole number in 1024...1048576") })
        }
    }

    @Test func yamlSyntaxErrorHasPosition() {
        do {
            _ = try SwitchboardConfiguration.parse(yaml: "listen: [\"udp:127.0.0.1:5060\"\nlog-level: info\n", path: "bad.yaml")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics[0].path == "bad.yaml")
            #expect(error.diagnostics[0].line >= 1)
            #expect(error.diagnostics[0].message.hasPrefix("YAML:"))
        }
    }

    @Test func cidrMatching() throws {
        let net = try #require(CIDR("10.1.0.0/16"))
        #expect(net.contains("10.1.255.3"))
        #expect(!net.contains("10.2.0.1"))
        #expect(!net.contains("not-an-ip"))
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("garbage") == nil)
        let single = try #require(CIDR("::1"))
        #expect(single.contains("[::1]"))
        #expect(!single.contains("::2"))
        // IPv4-mapped IPv6 sources match IPv4 networks.
        #expect(net.contains("::ffff:10.1.2.3"))
    }

    @Test func metricsAddressIsOffByDefaultAndParsesLoopbackPortsAndOff() throws {
        #expect(try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml").metrics == nil)
        #expect(try SwitchboardConfiguration.parse(yaml: "metrics: off", path: "x.yaml").metrics == nil)
        #expect(try SwitchboardConfiguration.parse(yaml: "metrics: 127.0.0.1:9090", path: "x.yaml").metrics
                == .init(host: "127.0.0.1", port: 9090))
        #expect(try SwitchboardConfiguration.parse(yaml: "metrics: \"[::1]:9100\"", path: "x.yaml").metrics?.description == "[::1]:9100")
        #expect(try SwitchboardConfiguration.parse(yaml: "metrics: 9091", path: "x.yaml").metrics
                == .init(host: "127.0.0.1", port: 9091), "a bare port listens on loopback")
        #expect(try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml").drainGraceSeconds == 30)
        #expect(try SwitchboardConfiguration.parse(yaml: "drain-grace: 2m", path: "x.yaml").drainGraceSeconds == 120)
    }

    @Test func badMetricsAddressAndDrainGraceAreReportedWithPositions() {
        let yaml = "metrics: localhost:9090\ndrain-grace: 2h\n"
        do {
            _ = try SwitchboardConfiguration.parse(yaml: yaml, path: "x.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            let text = error.diagnostics.map(\.description)
            #expect(text.count == 2, "\(text)")
            #expect(text.first?.hasPrefix("x.yaml:1:10: error: 'localhost' is not an IP address") == true, "\(text)")
            #expect(text.last?.hasPrefix("x.yaml:2:14: error: drain-grace must be") == true, "\(text)")
        }
    }

    @Test func dnsServerDefaultsToResolvConfAndParsesAddressAndPort() throws {
        #expect(try SwitchboardConfiguration.parse(yaml: "", path: "x.yaml").dnsServer == nil)
        #expect(try SwitchboardConfiguration.parse(yaml: "dns-server: 127.0.0.1:5353", path: "x.yaml").dnsServer
                == .init(host: "127.0.0.1", port: 5353))
        #expect(try SwitchboardConfiguration.parse(yaml: "dns-server: 10.0.0.2", path: "x.yaml").dnsServer
                == .init(host: "10.0.0.2", port: 53))
        for bad in ["dns-server: ns.example.com", "dns-server: 127.0.0.1:70000", "dns-server: \"::1\""] {
            do {
                _ = try SwitchboardConfiguration.parse(yaml: bad, path: "x.yaml")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.diagnostics.first?.description.hasPrefix("x.yaml:1:13: error:") == true, "\(error.diagnostics)")
            }
        }
    }

    @Test func shippedSampleConfigLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try SwitchboardConfiguration.load(path: root.appendingPathComponent("systemd/switchboard.yaml").path)
        #expect(c.metrics == .init(host: "127.0.0.1", port: 9090))
        #expect(c.dialplanDirectory == "/etc/switchboard/dialplans")
        #expect(c.listen.map(\.description) == ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"])
    }

    /// Every commented-out key in the sample is valid as written: uncommented, the file loads.
    @Test func shippedSampleCommentedKeysAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("systemd/switchboard.yaml"), encoding: .utf8)
        let key = try Regex("^# ( *)([a-z][a-z0-9-]*:|- )")
        var uncommented = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.firstMatch(of: key) != nil else { return String(line) }
            uncommented += 1
            return String(line.dropFirst(2))
        }
        #expect(uncommented >= 30)
        let c = try SwitchboardConfiguration.parse(yaml: lines.joined(separator: "\n"), path: "switchboard.yaml")
        #expect(c.media.threads == 1 && c.media.ports == 20000...29999 && c.media.timeoutSeconds == 60)
        #expect(c.journalDirectory == "/var/lib/switchboard/journal" && c.nodeID == "edge-1")
        #expect(c.calls.maxPerNumber == 200 && c.trunks.first?.name == "carrier-a")
        #expect(c.drainGraceSeconds == 30 && c.accessRefreshSeconds == 30)
        #expect(c.security == SwitchboardConfiguration.Security())
    }
}
