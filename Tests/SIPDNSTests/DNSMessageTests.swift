import Foundation
import SIPDNS
import SIPTestKit
import Testing

/// RFC 1035 packets built and parsed by hand, with compression pointers everywhere a
/// server may put them (record names, SRV targets, additional names).
struct DNSMessageTests {
    @Test func queryForSRVIsAStandardRecursiveQuestion() throws {
        let q = try #require(DNSMessage.query(id: 0xbeef, name: "_sip._udp.Example.COM.", type: .srv))
        let expected: [UInt8] = [0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                 4] + Array("_sip".utf8) + [4] + Array("_udp".utf8) + [7] + Array("example".utf8)
            + [3] + Array("com".utf8) + [0, 0, 33, 0, 1]
        #expect(q == expected)
        #expect(DNSMessage.query(id: 1, name: "a..b", type: .a) == nil, "empty label")
        #expect(DNSMessage.query(id: 1, name: String(repeating: "x", count: 64) + ".com", type: .a) == nil, "label over 63")
        #expect(SIPServerLocator.srvName(host: "PBX.test", transport: "TCP") == "_sip._tcp.pbx.test")
        #expect(SIPServerLocator.srvName(host: "pbx.test", transport: "UDP") == "_sip._udp.pbx.test")
    }

    /// An SRV answer: two records (names are pointers to the question), targets "a" and "b"
    /// followed by a pointer to "example.com" inside the question, and an additional A record
    /// whose name is a pointer to the first SRV target.
    static func srvAnswer(id: UInt16 = 0x1234) -> [UInt8] {
        var b: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x85, 0x80, 0, 1, 0, 2, 0, 0, 0, 1]
        let question = b.count   // 12
        for label in ["_sip", "_udp", "example", "com"] { b.append(UInt8(label.utf8.count)); b += Array(label.utf8) }
        b += [0, 0, 33, 0, 1]
        let exampleCom = question + 10
        var firstTarget = 0
        for (letter, priority, weight, port) in [("a", 10, 60, 5070), ("b", 20, 0, 5080)] {
            b += [0xc0, UInt8(question), 0, 33, 0, 1, 0, 0, 0x0e, 0x10, 0, 10]
            b += [0, UInt8(priority), 0, UInt8(weight), UInt8(port >> 8), UInt8(port & 0xff)]
            if firstTarget == 0 { firstTarget = b.count }
            b += [1] + Array(letter.utf8) + [0xc0, UInt8(exampleCom)]
        }
        b += [0xc0, UInt8(firstTarget), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]
        return b
    }

    @Test func srvAnswerWithCompressedNamesParses() throws {
        let r = try DNSMessage.parse(Self.srvAnswer())
        #expect(r.id == 0x1234 && r.rcode == 0 && !r.truncated)
        #expect(r.questionName == "_sip._udp.example.com" && r.questionType == 33)
        #expect(r.answers.map(\.name) == ["_sip._udp.example.com", "_sip._udp.example.com"])
        #expect(r.srvRecords == [SRVRecord(priority: 10, weight: 60, port: 5070, target: "a.example.com"),
                                 SRVRecord(priority: 20, weight: 0, port: 5080, target: "b.example.com")])
        #expect(r.answers.first?.ttl == 3600)
        #expect(r.addresses(of: "A.example.com.") == ["10.0.0.1"])
        #expect(r.addresses(of: "b.example.com").isEmpty)
    }

    @Test func malformedAnswersAreRejectedNotTrapped() {
        let good = Self.srvAnswer()
        for cut in stride(from: 1, to: good.count, by: 1) {
            #expect(throws: DNSParseError.self) { try DNSMessage.parse(Array(good.prefix(cut))) }
        }
        // A pointer to itself, and one pointing forwards.
        var loop: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError.pointerLoop) { try DNSMessage.parse(loop) }
        loop[13] = 40
        #expect(throws: DNSParseError.pointerLoop) { try DNSMessage.parse(loop) }
        var query = good
        query[2] = 0x01   // QR clear: a query, not an answer
        #expect(throws: DNSParseError.notAResponse) { try DNSMessage.parse(query) }
    }

    @Test func nxdomainAndAAAAParse() throws {
        var nx: [UInt8] = [0, 7, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x78, 0, 0, 33, 0, 1]
        #expect(try DNSMessage.parse(nx).rcode == 3)
        nx[7] = 1
        nx[3] = 0x80
        nx += [0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 1, 0, 16, 0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        #expect(try DNSMessage.parse(nx).answers.first?.data == .aaaa("2001:db8:0:0:0:0:0:1"))
    }

    @Test func srvOrderingIsByPriorityThenWeightedRandom() {
        let records = [SRVRecord(priority: 20, weight: 0, port: 1, target: "late"),
                       SRVRecord(priority: 10, weight: 90, port: 2, target: "heavy"),
                       SRVRecord(priority: 10, weight: 10, port: 3, target: "light"),
                       SRVRecord(priority: 10, weight: 0, port: 4, target: "zero")]
        var firsts: [String: Int] = [:]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let ordered = SRVOrdering.order(records, using: &generator)
            #expect(ordered.count == 4)
            #expect(ordered.last?.target == "late", "priority 20 only after every priority 10 record")
            firsts[ordered[0].target, default: 0] += 1
        }
        // Weights 90:10:0 out of 100 (the zero-weight record wins only when the draw is 0).
        #expect((1650...1950).contains(firsts["heavy", default: 0]), "\(firsts)")
        #expect((100...300).contains(firsts["light", default: 0]), "\(firsts)")
        #expect(firsts["zero", default: 0] < 60, "\(firsts)")
    }
}

