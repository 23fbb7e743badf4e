import Testing
@testable import SIPMessage

@Suite struct SerializeTests {
    @Test func inviteRoundTrips() throws {
        let invite = Samples.invite
        let bytes = invite.serialize()
        #expect(bytes.count > 600 && bytes.count < 1000)
        let parsed = try #require(Fixtures.parse(bytes).request, "\(String(describing: Fixtures.parse(bytes).error))")
        #expect(parsed == invite)
        #expect(parsed.body == invite.body)
        #expect(parsed.headers == invite.headers)
        #expect(SIPMessage.request(invite).serialize() == bytes)
    }

    @Test func okRoundTrips() throws {
        let ok = Samples.ok
        let parsed = try #require(Fixtures.parse(ok.serialize()).response)
        #expect(parsed == ok)
        #expect(parsed.to.tag == "as83kd9")
        #expect(parsed.serialize() == ok.serialize())
    }

    @Test func contentLengthComputedFromBody() throws {
        var r = Samples.invite
        r.headers.add("Content-Length", "9999")   // stale: must not go out
        r.body = Array("v=0\r\n".utf8)
        let text = String(decoding: r.serialize(), as: UTF8.self)
        #expect(text.contains("\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
        #expect(!text.contains("9999"))
        #expect(Fixtures.parse(r.serialize()).request?.body == r.body)
    }

    @Test func emptyReasonKeepsTheSpace() {
        var r = Samples.ok
        r.reasonPhrase = ""
        #expect(String(decoding: r.serialize(), as: UTF8.self).hasPrefix("SIP/2.0 200 \r\n"))
        #expect(Fixtures.parse(r.serialize()).response?.reasonPhrase == "")
    }

    @Test func parsedTortureMessagesReserialiseStably() throws {
        // parse → serialise → parse is a fixed point for every accepted message.
        for name in try Fixtures.names("rfc4475") {
            guard case .success(let m) = Fixtures.parse(try Fixtures.bytes("rfc4475", name)) else { continue }
            let again = Fixtures.parse(m.serialize())
            guard case .success(let m2) = again else {
                Issue.record("\(name): re-parse failed \(String(describing: again.error))")
                continue
            }
            #expect(m2 == m, "\(name)")
            #expect(m2.serialize() == m.serialize(), "\(name)")
        }
    }

    @Test func errorResponseCopiesHeadersAndAddsTag() throws {
        let bytes = Array("OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP g.example.com;branch=z9hG4bK2\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n".utf8)
        let e = try #require(Fixtures.parse(bytes).error)
        #expect(e.status == 400)
        let text = String(decoding: try #require(e.responseBytes(toTag: "zz")), as: UTF8.self)
        #expect(text.hasPrefix("SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP g.example.com;branch=z9hG4bK2\r\n"))
        #expect(text.contains("\r\nTo: <sip:a@example.com>;tag=zz\r\n"))
        #expect(text.contains("\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"))
        #expect(text.contains("\r\nWarning: 399 switchboard \""))
        // The error response is itself a well-formed response.
        #expect(Fixtures.parse(Array(text.utf8)).response?.statusCode == 400)
    }
}

@Suite struct HeaderNameTests {
    @Test func compactAndCanonicalNames() {
        let pairs = [("v", "Via"), ("f", "From"), ("t", "To"), ("i", "Call-ID"), ("m", "Contact"), ("l", "Content-Length"),
                     ("c", "Content-Type"), ("k", "Supported"), ("s", "Subject"), ("e", "Content-Encoding"),
                     ("cseq", "CSeq"), ("MAX-FORWARDS", "Max-Forwards"), ("supported", "Supported"),
                     ("record-route", "Record-Route"), ("PROXY-REQUIRE", "Proxy-Require"), ("user-agent", "User-Agent"),
                     ("X-Custom", "X-Custom"), ("P-Asserted-Identity", "P-Asserted-Identity")]
        for (raw, canon) in pairs { #expect(SIPHeaders.canonicalName(raw) == canon, "\(raw)") }
    }
}
