import Testing
@testable import SIPMessage

/// RFC 3261 §8.2.6.2: a response carries the request's Via, From, To, Call-ID and CSeq as the
/// peer wrote them (peers compare them as text), adding only our To tag and the top Via's
/// `received`/`rport`.
@Suite struct ReceivedTextTests {
    static let text = [
        "INVITE sip:+13125550100@192.0.2.1 SIP/2.0",
        "v: SIP/2.0/udp 192.0.2.10:5060 ; branch=z9hG4bK-1 ;rport ; X-Hop = Edge",
        "Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-0, SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK-00",
        "f: A <sip:+14155550123@carrier.example;user=phone>;tag=abc;foo=Bar",
        "t: sip:+13125550100@192.0.2.1",
        "i: k1@carrier.example",
        "CSeq:  7   INVITE",
        "Max-Forwards: 70",
        "Content-Length: 0",
        "", "",
    ].joined(separator: "\r\n")

    func parsed() throws -> SIPRequest {
        try #require(SIPMessageParser.parse(Array(Self.text.utf8)).request)
    }

    func lines(_ response: SIPResponse, _ name: String) -> [String] {
        String(decoding: response.serialize(), as: UTF8.self).components(separatedBy: "\r\n")
            .filter { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    @Test func anUnchangedResponseCopiesTheTextExactly() throws {
        let response = SIPResponse(to: try parsed(), statusCode: 100)
        #expect(lines(response, "Via") == [
            "SIP/2.0/udp 192.0.2.10:5060 ; branch=z9hG4bK-1 ;rport ; X-Hop = Edge",
            "SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-0, SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK-00",
        ])
        #expect(lines(response, "From") == ["A <sip:+14155550123@carrier.example;user=phone>;tag=abc;foo=Bar"])
        #expect(lines(response, "To") == ["sip:+13125550100@192.0.2.1"])
        #expect(lines(response, "Call-ID") == ["k1@carrier.example"])
        #expect(lines(response, "CSeq") == ["7   INVITE"])
    }

    @Test func ourToTagAndTheStampedViaParametersAreTheOnlyChanges() throws {
        var request = try parsed()
        request.vias[0].setParameter("received", "198.51.100.7")
        request.vias[0].setParameter("rport", "40000")
        let response = SIPResponse(to: request, statusCode: 200, toTag: "ours")
        #expect(lines(response, "Via").first == "SIP/2.0/udp 192.0.2.10:5060 ; branch=z9hG4bK-1 ;rport=40000; X-Hop = Edge;received=198.51.100.7")
        #expect(lines(response, "To") == ["sip:+13125550100@192.0.2.1;tag=ours"])
    }

    /// The transport writes the stamped Via into the text once (`adopt`); the responses built
    /// after that carry the same bytes as when each one patched the line itself, and a later
    /// change to the Vias still falls back to the values.
    @Test func adoptedViasGiveTheSameBytesAsPatchingEachResponse() throws {
        var stamped = try parsed()
        stamped.vias[0].setParameter("received", "198.51.100.7")
        stamped.vias[0].setParameter("rport", "40000")
        var adopted = stamped
        let vias = adopted.vias
        adopted.receivedText?.adopt(vias)
        #expect(adopted.receivedText?.viaLines.first == "SIP/2.0/udp 192.0.2.10:5060 ; branch=z9hG4bK-1 ;rport=40000; X-Hop = Edge;received=198.51.100.7")
        for status in [100, 180, 200, 487] {
            let before = SIPResponse(to: stamped, statusCode: status, toTag: "ours").serialize()
            #expect(SIPResponse(to: adopted, statusCode: status, toTag: "ours").serialize() == before, "\(status)")
        }
        var changed = SIPResponse(to: adopted, statusCode: 200, toTag: "ours")
        changed.vias[0].setParameter("received", "203.0.113.9")
        #expect(lines(changed, "Via").first == "SIP/2.0/udp 192.0.2.10:5060 ; branch=z9hG4bK-1 ;rport=40000; X-Hop = Edge;received=203.0.113.9")
        changed.vias.removeLast()
        #expect(lines(changed, "Via").first?.hasPrefix("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1") == true)
    }

    @Test func aValueChangedOtherwiseIsWrittenFromTheValue() throws {
        var response = SIPResponse(to: try parsed(), statusCode: 200, toTag: "ours")
        response.from.tag = "changed"
        response.cSeq.sequence = 8
        response.vias.removeLast()
        #expect(lines(response, "From") == ["\"A\" <sip:+14155550123@carrier.example;user=phone>;foo=Bar;tag=changed"])
        #expect(lines(response, "CSeq") == ["8 INVITE"])
        #expect(lines(response, "Via").count == 2)
        #expect(lines(response, "Via").first?.hasPrefix("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1") == true)
    }

    @Test func aResponseBuiltFromValuesIsUnaffected() throws {
        var request = try parsed()
        request.receivedText = nil
        let response = SIPResponse(to: request, statusCode: 100)
        #expect(lines(response, "From") == ["\"A\" <sip:+14155550123@carrier.example;user=phone>;tag=abc;foo=Bar"])
    }
}
