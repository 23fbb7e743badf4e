import Foundation
import SIPDNS
import ProcessTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The client and RFC 3263 locator against a real DNS server (dnsmasq) on loopback.
@Suite(.serialized) struct DNSServerTests {
    static let records = [
        "--srv-host=_sip._udp.pbx.test,callee.pbx.test,5071,10,50",
        "--srv-host=_sip._udp.pbx.test,backup.pbx.test,5072,20,50",
        "--srv-host=_sip._tcp.pbx.test,callee.pbx.test,5073,10,50",
        "--srv-host=_sip._udp.closed.test",   // target ".": no SIP service
        "--host-record=callee.pbx.test,127.0.0.1",
        "--host-record=backup.pbx.test,127.0.0.2",
        "--host-record=plain.test,127.0.0.3",
    ]

    /// getaddrinfo must not be asked about these test names; record who was.
    final class SystemLookup: @unchecked Sendable {
        let lock = NSLock()
        var asked: [String] = []
        func callAsFunction(_ host: String) -> [String] {
            lock.withLock { asked.append(host) }
            return host == "localhost" ? ["127.0.0.1"] : []
        }
    }

    @Test func srvAnswersComeOrderedWithAddressesAndPorts() throws {
        let dns = try DNSMasqServer(records: Self.records)
        defer { dns.stop() }
        let client = DNSClient(server: "127.0.0.1", port: dns.port)
        let response = try client.query("_sip._udp.pbx.test", type: .srv)
        #expect(response.rcode == 0)
        #expect(Set(response.srvRecords.map(\.port)) == [5071, 5072])

        let system = SystemLookup()
        let locator = SIPServerLocator(client: client, queryAddressesWithClient: true, systemLookup: { system($0) })
        #expect(locator.locate(host: "pbx.test", port: nil, transport: "UDP")
                == [.init(host: "127.0.0.1", port: 5071), .init(host: "127.0.0.2", port: 5072)])
        #expect(locator.locate(host: "pbx.test", port: nil, transport: "TCP") == [.init(host: "127.0.0.1", port: 5073)])
        // No SRV record: the host's A record on 5060. An explicit port: no SRV, that port.
        #expect(locator.locate(host: "plain.test", port: nil, transport: "UDP") == [.init(host: "127.0.0.3", port: 5060)])
        #expect(locator.locate(host: "pbx.test", port: 5099, transport: "UDP").isEmpty, "pbx.test has no A record")
        #expect(locator.locate(host: "callee.pbx.test", port: 5099, transport: "UDP") == [.init(host: "127.0.0.1", port: 5099)])
        #expect(locator.locate(host: "127.0.0.9", port: nil, transport: "UDP") == [.init(host: "127.0.0.9", port: 5060)])
        // SRV target ".": the service is decidedly not there, no fallback.
        #expect(locator.locate(host: "closed.test", port: nil, transport: "UDP").isEmpty)
        #expect(locator.locate(host: "nothing.test", port: nil, transport: "UDP").isEmpty)
        #expect(dns.log().contains("query[SRV] _sip._udp.pbx.test"), "\(dns.log())")
        #expect(!dns.log().contains("_sip._udp.callee.pbx.test"), "explicit port: no SRV query")
    }

    @Test func silentServerTimesOutBoundedWithOneRetry() throws {
        // A UDP socket that receives and never answers.
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                _ = bind(fd, p, length)
                return getsockname(fd, p, &length)
            }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let client = DNSClient(server: "127.0.0.1", port: port, timeoutSeconds: 1, attempts: 2)
        let start = Date()
        #expect(throws: DNSClient.QueryError.timeout) { try client.query("_sip._udp.pbx.test", type: .srv) }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 1.9 && elapsed < 4, "\(elapsed)")
        // Both attempts reached the server.
        var buffer = [UInt8](repeating: 0, count: 512)
        #expect(recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0)
        #expect(recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0)
    }

    @Test func resolvConfFirstNameServerIsTheDefault() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolv-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# comment\nsearch example.com\nnameserver fe80::1\nnameserver\t10.1.2.3\nnameserver 10.9.9.9\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DNSClient.systemNameServer(resolvConf: path) == "10.1.2.3")
        #expect(DNSClient.systemNameServer(resolvConf: path + ".missing") == nil)
    }
}
