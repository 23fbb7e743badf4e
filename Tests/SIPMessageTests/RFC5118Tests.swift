import Testing
@testable import SIPMessage

/// RFC 5118 IPv6 torture messages (the CRLF `wire/` versions, copied to Tests/Fixtures/rfc5118).
@Suite struct RFC5118Tests {
    static let valid = [
        "ipv6-good", "port-ambiguous", "port-unambiguous", "via-received-param-with-delim",
        "via-received-param-no-delim", "ipv6-in-sdp", "mult-ip-in-header", "mult-ip-in-sdp",
        "ipv4-mapped-ipv6", "ipv6-bug-abnf-3-colons", "ipv6-correct-abnf-2-colons",
    ]

    func request(_ name: String) throws -> SIPRequest {
        let r = Fixtures.parse(try Fixtures.bytes("rfc5118", name))
        return try #require(r.request, "\(name): \(String(describing: r.error))")
    }

    @Test func checksumsMatch() throws {
        let r = try Fixtures.verifyChecksums("rfc5118")
        #expect(r.status == 0)
        #expect(r.ok == 12)
        #expect(Set(try Fixtures.names("rfc5118")) == Set(Self.valid + ["ipv6-bad"]))
    }

    @Test(arguments: valid)
    func accepted(_ name: String) throws {
        let r = try request(name)
        #expect(RequestChecks().check(r) == nil, "\(name)")
    }

    @Test func ipv6BadIsRefused() throws {
        let e = try #require(Fixtures.parse(try Fixtures.bytes("rfc5118", "ipv6-bad")).error)
        #expect(e.status == 400)
        #expect(e.reason == "Request-URI: IPv6 address without brackets")
        #expect(!e.isResponse)
        #expect(e.responseBytes(toTag: "x") != nil)
    }

    @Test func portAmbiguous() throws {
        let r = try request("port-ambiguous")
        #expect(r.uri.host == "2001:db8::10:5070")
        #expect(r.uri.port == nil)
        #expect(r.vias.first?.host == "2001:db8::9:1")
        #expect(r.contacts.first?.uri.host == "2001:db8::1")
    }

    @Test func portUnambiguous() throws {
        let r = try request("port-unambiguous")
        #expect(r.uri.host == "2001:db8::10")
        #expect(r.uri.port == 5070)
    }

    @Test func threeColonsTolerated() throws {
        let r = try request("ipv6-bug-abnf-3-colons")
        #expect(r.uri.host == "2001:db8::192.0.2.1")
        #expect(r.to.uri.host == "2001:db8::192.0.2.1")
        #expect(try request("ipv6-correct-abnf-2-colons").uri.host == "2001:db8::192.0.2.1")
    }

    @Test func receivedParameter() throws {
        #expect(try request("via-received-param-with-delim").vias.first?.received == "[2001:db8::9:255]")
        #expect(try request("via-received-param-no-delim").vias.first?.received == "2001:db8::9:255")
    }

    @Test func ipv6InSDPBody() throws {
        let r = try request("ipv6-in-sdp")
        #expect(String(decoding: r.body, as: UTF8.self).contains("IN IP6"))
    }

    @Test func ipv6SerialisesInBrackets() throws {
        let r = try request("ipv6-good")
        let text = String(decoding: r.serialize(), as: UTF8.self)
        #expect(text.contains("@[2001:db8::"))
        #expect(Fixtures.parse(r.serialize()).request == r)
    }
}
