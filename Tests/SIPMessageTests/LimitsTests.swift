import SIPTestKit
import Testing
@testable import SIPMessage

@Suite struct LimitsTests {
    func options(extra: String = "", version: String = "SIP/2.0") -> [UInt8] {
        Array("OPTIONS sip:a@example.com \(version)\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\(extra)Content-Length: 0\r\n\r\n".utf8)
    }

    @Test func baselineParses() { #expect(Fixtures.parse(options()).request != nil) }

    @Test func hundredKilobyteHeaderRejected() throws {
        let e = try #require(Fixtures.parse(options(extra: "X-Big: \(String(repeating: "a", count: 100_000))\r\n")).error)
        #expect(e.status == 513)
        #expect(e.responseBytes(toTag: "t") != nil)   // Via was before the cut
    }

    @Test func tenThousandViasRejected() throws {
        let lines = String(repeating: "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n", count: 10_000)
        // Above the size cap anyway; with the cap raised, the count limits still refuse it.
        #expect(Fixtures.parse(options(extra: lines)).error?.status == 513)
        let big = SIPLimits(maxMessageSize: 1 << 20)
        let e = try #require(Fixtures.parse(options(extra: lines), limits: big).error)
        #expect(e.status == 513)
        let oneLine = "Via: " + Array(repeating: "SIP/2.0/UDP h.example.com", count: 10_000).joined(separator: ",") + "\r\n"
        #expect(Fixtures.parse(options(extra: oneLine), limits: big).error?.status == 513)
        #expect(Fixtures.parse(options(extra: String(repeating: "X-A: b\r\n", count: 300))).error?.status == 513)
    }

    @Test func versionNotSupported() throws {
        let e = try #require(Fixtures.parse(options(version: "SIP/9.9")).error)
        #expect(e.status == 505)
        #expect(String(decoding: try #require(e.responseBytes(toTag: "t")), as: UTF8.self).hasPrefix("SIP/2.0 505 "))
    }

    @Test func streamFraming() {
        // Over a stream Content-Length is mandatory (RFC 3261 §18.3) and bounds the body.
        let noCL = Array("OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n\r\n".utf8)
        #expect(Fixtures.parse(noCL, framing: .stream).error?.status == 400)
        #expect(Fixtures.parse(noCL, framing: .datagram).request != nil)
        #expect(Fixtures.parse(options(), framing: .stream).request != nil)
    }

    @Test func scalarChecks() {
        #expect(Fixtures.parse(options(extra: "X: y\r\n").map { $0 }).request?.maxForwards == 70)
        let bigMF = Array(String(decoding: options(), as: UTF8.self).replacingMF("256").utf8)
        #expect(Fixtures.parse(bigMF).error?.status == 400)
        let cseq = Array(String(decoding: options(), as: UTF8.self).replacingCSeq("2147483649 OPTIONS").utf8)
        #expect(Fixtures.parse(cseq).error?.status == 400)
        let resp = Array("SIP/2.0 700 Weird\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n".utf8)
        #expect(Fixtures.parse(resp).error?.isResponse == true)
    }

    @Test func garbageNeverTraps() {
        var rng = SplitMix64(seed: 4475)
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<300, using: &rng)
            var b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { b = options() + b }
            _ = Fixtures.parse(b)
        }
        #expect(Fixtures.parse([]).error?.status == 400)
    }
}

private extension String {
    func replacingMF(_ v: String) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("Max-Forwards:") ? "Max-Forwards: \(v)" : String($0) }.joined(separator: "\r\n")
    }
    func replacingCSeq(_ v: String) -> String {
        split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("CSeq:") ? "CSeq: \(v)" : String($0) }.joined(separator: "\r\n")
    }
}

