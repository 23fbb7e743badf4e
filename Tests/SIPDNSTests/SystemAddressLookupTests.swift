import Foundation
import SIPDNS
import Testing

/// The system resolver as the SIP side uses it (getaddrinfo: /etc/hosts first), and the
/// off-loop resolution wrapper the daemon's engines call.
@Suite struct SystemAddressLookupTests {
    @Test func literalsComeBackAsTheyAre() {
        #expect(SystemAddressLookup.addresses(of: "127.0.0.1") == ["127.0.0.1"])
        #expect(SystemAddressLookup.addresses(of: "::1") == ["::1"])
    }

    @Test func localhostResolvesFromHostsWithIPv4First() {
        let addresses = SystemAddressLookup.addresses(of: "localhost")
        #expect(addresses.first == "127.0.0.1", "\(addresses)")
        #expect(Set(addresses).count == addresses.count)
    }

    @Test func aNameThatDoesNotResolveGivesNothing() {
        // RFC 6761 §6.4: .invalid never resolves.
        #expect(SystemAddressLookup.addresses(of: "no-such-host.invalid").isEmpty)
    }

    @Test func resolutionAnswersOffTheCallersThread() async {
        let resolution = SIPServerResolution(server: nil)
        let addresses = await withCheckedContinuation { continuation in
            resolution.resolve("127.0.0.1") { continuation.resume(returning: $0) }
        }
        #expect(addresses == ["127.0.0.1"])
        // An IP literal with a port is located without any DNS query (RFC 3263 §4.2).
        let targets = await withCheckedContinuation { continuation in
            resolution.locate("127.0.0.1", port: 5070, transport: "UDP") { continuation.resume(returning: $0) }
        }
        #expect(targets == [SIPServerLocator.Target(host: "127.0.0.1", port: 5070)])
    }
}
