import Testing
@testable import SIPTransport

/// Which destinations are never handed to a socket (each of these made `sendmsg` fail, and
/// NIO close the listening socket, or would have).
@Suite struct DestinationCheckTests {
    func refusal(_ host: String, _ port: Int = 5060, v4: Bool = true, v6: Bool = true,
                 loopbackOnly: Bool = false, broadcasts: Set<String> = []) -> DestinationCheck.Refusal? {
        switch DestinationCheck.check(host: host, port: port, broadcasts: broadcasts, haveIPv4: v4, haveIPv6: v6,
                                      loopbackOnly: { _ in loopbackOnly }) {
        case .success: return nil
        case .failure(let r): return r
        }
    }

    @Test func shapesTheKernelRefuses() {
        #expect(refusal("127.0.0.1", 0) == .invalidPort)
        #expect(refusal("127.0.0.1", 65_536) == .invalidPort)
        #expect(refusal("0.0.0.0") == .unspecified)
        #expect(refusal("0.1.2.3") == .unspecified)
        #expect(refusal("::") == .unspecified)
        #expect(refusal("[::]") == .unspecified)
        #expect(refusal("224.0.0.1") == .multicast)
        #expect(refusal("239.255.255.250") == .multicast)
        #expect(refusal("ff02::1") == .multicast)
        #expect(refusal("255.255.255.255") == .broadcast)
        #expect(refusal("127.255.255.255") == .broadcast)
        #expect(refusal("192.168.1.255", broadcasts: ["192.168.1.255"]) == .broadcast)
        #expect(refusal("240.0.0.1") == .reserved)
        #expect(refusal("pbx.example.com") == .notAnAddress)
        #expect(refusal("") == .notAnAddress)
    }

    @Test func familiesAndLoopback() {
        #expect(refusal("::1", v6: false) == .wrongFamily)
        #expect(refusal("127.0.0.1", v4: false) == .wrongFamily)
        #expect(refusal("10.0.0.1", loopbackOnly: true) == .notLoopback)
        #expect(refusal("2001:db8::1", loopbackOnly: true) == .notLoopback)
        #expect(refusal("127.0.0.5", loopbackOnly: true) == nil)
        #expect(refusal("::1", loopbackOnly: true) == nil)
        #expect(refusal("198.51.100.7") == nil)
        #expect(refusal("2001:db8::1") == nil)
    }

    @Test func ipv4MappedAddressesGoOutOnTheIPv4Socket() {
        let accepted = try? DestinationCheck.check(host: "::ffff:127.0.0.1", port: 5060, haveIPv4: true, haveIPv6: false).get()
        #expect(accepted == DestinationCheck.Accepted(host: "127.0.0.1", port: 5060, isIPv6: false))
        #expect(refusal("::ffff:224.0.0.1") == .multicast)
        #expect(refusal("::ffff:0.0.0.0") == .unspecified)
    }
}
