import Testing
@testable import SIPMessage

/// RFC 4475 §3.1.1 and §3.3: the accepted messages parse into the right values.
@Suite struct RFC4475FieldTests {
    func request(_ name: String) throws -> SIPRequest {
        let r = Fixtures.parse(try Fixtures.bytes("rfc4475", name + ".dat"))
        return try #require(r.request, "\(name): \(String(describing: r.error))")
    }

    func response(_ name: String) throws -> SIPResponse {
        let r = Fixtures.parse(try Fixtures.bytes("rfc4475", name + ".dat"))
        return try #require(r.response, "\(name): \(String(describing: r.error))")
    }

    @Test func wsinv() throws {
        let r = try request("wsinv")
        #expect(r.method == .invite)
        #expect(r.uri.user == "vivekg")
        #expect(r.uri.host == "chair-dnrc.example.com")
        #expect(r.uri.parameter("unknownparam") == .some(nil))
        #expect(r.callID == "wsinv.ndaksdj@192.0.2.1")
        #expect(r.cSeq == CSeq(sequence: 9, method: .invite))
        #expect(r.maxForwards == 68)
        #expect(r.to.uri.user == "vivekg")
        #expect(r.to.tag == "1918181833n")
        #expect(r.from.tag == "98asjd8")
        #expect(r.from.displayName == #"J Rosenberg \\\""#)
        #expect(r.vias.count == 3)
        #expect(r.vias.map(\.transport) == ["UDP", "TCP", "UDP"])
        #expect(r.vias[1].host == "spindle.example.com")
        #expect(r.vias[2].branch == "z9hG4bK30239")
        #expect(r.headers["NewFangledHeader"] == "newfangled value continued newfangled value")
        #expect(r.headers["UnknownHeaderWithUnusualValue"] == ";;,,;;,;")
        #expect(r.headers["Subject"] == "")
        #expect(r.routes.count == 1)
        #expect(r.routes.first?.uri.parameter("lr") == .some(nil))
        #expect(r.contacts.count == 1)
        #expect(r.contacts.first?.displayName == #"Quoted string \"\""#)
        #expect(r.contacts.first?.parameter("newparam") == .some("newvalue"))
        #expect(r.contacts.first?.parameter("q") == .some("0.33"))
        #expect(r.contentType == "application/sdp")
        #expect(r.body.count == 150)
    }

    @Test func intmeth() throws {
        let r = try request("intmeth")
        #expect(r.method.rawValue == "!interesting-Method0123456789_*+`.%indeed'~")
        #expect(r.cSeq.method == r.method)
        #expect(r.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        #expect(r.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        #expect(r.maxForwards == 255)
        #expect(r.vias.first?.branch == "z9hG4bK-.!%66*_+`'~")
        // The NUL survives as a quoted-pair inside the display name.
        #expect(r.to.displayName?.utf8.contains(0) == true)
        #expect(r.from.displayName == "token1~` token2'+_ token3*%!.-")
        #expect(r.from.tag == "_token~1'+`*%!-.")
        #expect(r.callID == #"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#)
        #expect(r.headers["extensionHeader-!.%*+_`'~"] == "\u{FEFF}大停電")
    }

    @Test func esc01StaysEscaped() throws {
        let r = try request("esc01")
        #expect(r.uri.user == "sips%3Auser%40example.com")
        #expect(r.uri.host == "example.net")
        #expect(r.to.uri.user == "%75se%72")
        #expect(r.from.uri.user == "I%20have%20spaces")
        let c = try #require(r.contacts.first)
        #expect(c.uri.user == "cal%6Cer")
        #expect(c.uri.parameter("%6C%72") == .some(nil))
        #expect(c.uri.parameter("n%61me") == .some("v%61lue%25%34%31"))
    }

    @Test func escnull() throws {
        let r = try request("escnull")
        #expect(r.to.uri.user == "null-%00-null")
        #expect(r.contacts.map { $0.uri.user } == ["%00", "%00%00"])
    }

    @Test func esc02() throws {
        let r = try request("esc02")
        #expect(r.method.rawValue == "RE%47IST%45R")
        #expect(r.method != .register)
        #expect(r.to.displayName == "%Z%45")
        #expect(r.contacts.count == 2)
        #expect(r.headers["C%6Fntact"] == "<sip:alias2@host2.example.com>")
    }

    @Test func lwsdisp() throws {
        let r = try request("lwsdisp")
        #expect(r.from.displayName == "caller")
        #expect(r.from.uri.user == "caller")
        #expect(r.from.tag == "323")
    }

    @Test func longreq() throws {
        let r = try request("longreq")
        #expect(r.vias.count == 34)   // sip33 … sip1, then host.example.com
        #expect(r.vias.first?.host == "sip33.example.com")
        #expect(r.vias.last?.host == "host.example.com")
        #expect(r.callID.hasPrefix("longreq.onereallyreallyreally"))
        #expect(r.callID.hasSuffix("longcallid"))
        #expect(r.from.tag?.count ?? 0 > 100)
        #expect(r.to.uri.port == 6000)
        #expect(r.contentType == "application/sdp")
    }

    @Test func dblreqIgnoresTrailingBytes() throws {
        let r = try request("dblreq")
        #expect(r.method == .register)
        #expect(r.body.isEmpty)
        #expect(r.callID == "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
    }

    @Test func semiuri() throws {
        let r = try request("semiuri")
        #expect(r.uri.user == "user;par=u%40example.net")
        #expect(r.uri.host == "example.com")
        #expect(r.uri.parameters.isEmpty)
        #expect(r.headers["Accept"]?.hasPrefix("application/sdp, application/pkcs7-mime,") == true)
    }

    @Test func transports() throws {
        let r = try request("transports")
        #expect(r.vias.map(\.transport) == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        #expect(r.callID == "transports.kijh4akdnaqjkwendsasfdj")
    }

    @Test func mpart01FramedByContentLength() throws {
        let r = try request("mpart01")
        #expect(r.method == .message)
        #expect(r.body.count == 553)
        #expect(r.body.contains(0))
        #expect(r.contentType == "multipart/mixed;boundary=7a9cbec02ceef655")
        #expect(r.vias.first?.rport == .some(nil))
    }

    @Test func unreasonKeepsOpaqueReason() throws {
        let bytes = try Fixtures.bytes("rfc4475", "unreason.dat")
        let firstLine = bytes.prefix { $0 != 0x0D }
        let reason = String(decoding: firstLine.dropFirst("SIP/2.0 200 ".utf8.count), as: UTF8.self)
        let r = try response("unreason")
        #expect(r.statusCode == 200)
        #expect(r.reasonPhrase == reason)
        #expect(r.reasonPhrase.hasPrefix("= 2**3 * 5**2"))
        #expect(r.body.count == 154)
    }

    @Test func noreasonEmpty() throws {
        let r = try response("noreason")
        #expect(r.statusCode == 100)
        #expect(r.reasonPhrase == "")
        #expect(r.to.tag == "902jndnke3")
    }

    @Test func bcastParsesSecondVia() throws {
        let r = try response("bcast")
        #expect(r.vias.count == 2)
        #expect(r.vias[1].host == "255.255.255.255")
    }

    @Test func baddateIgnored() throws {
        let r = try request("baddate")
        #expect(r.headers["Date"] == "Fri, 01 Jan 2010 16:00:00 EST")
    }

    @Test func cparamPlacement() throws {
        let c1 = try #require(try request("cparam01").contacts.first)
        #expect(c1.uri.parameters.isEmpty)
        #expect(c1.parameter("unknownparam") == .some(nil))
        let c2 = try #require(try request("cparam02").contacts.first)
        #expect(c2.uri.parameter("unknownparam") == .some(nil))
        #expect(c2.parameters.isEmpty)
    }

    @Test func regescrtKeepsEscapedHeader() throws {
        let c = try #require(try request("regescrt").contacts.first)
        #expect(c.uri.headers.count == 1)
        #expect(c.uri.headers.first?.name == "Route")
        #expect(c.uri.headers.first?.value == "%3Csip:sip.example.com%3E")
    }

    @Test func unksm2OpaqueSchemes() throws {
        let r = try request("unksm2")
        #expect(r.to.uri.scheme == "isbn")
        #expect(r.to.uri.opaque == "2983792873")
        #expect(r.from.uri.scheme == "http")
        #expect(r.contacts.first?.uri.scheme == "name")
    }

    @Test func novelAndUnknownRequestURISchemes() throws {
        #expect(try request("novelsc").uri.scheme == "soap.beep")
        #expect(try request("novelsc").uri.opaque == "//192.0.2.103:3002")
        #expect(try request("unkscm").uri.scheme == "nobodyknowsthisscheme")
    }

    @Test func inv2543() throws {
        let r = try request("inv2543")
        #expect(r.maxForwards == nil)
        #expect(r.vias.first?.branch == nil)
        #expect(r.from.tag == nil)
        #expect(r.recordRoutes.count == 1)
        #expect(String(decoding: r.body, as: UTF8.self).hasPrefix("v=0\r\n"))
        #expect(r.headers["Content-Length"] == nil)
    }

    @Test func semanticChecksCarryTheirHeaders() throws {
        let bext = try #require(RequestChecks().check(try request("bext01")))
        #expect(bext.status == 420)
        #expect(bext.headers.first?.name == "Unsupported")
        #expect(bext.headers.first?.value == "nothingSupportsThis, nothingSupportsThisEither, noProxiesSupportThis, norDoAnyProxiesSupportThis")
        let invut = try #require(RequestChecks().check(try request("invut")))
        #expect(invut.status == 415)
        #expect(invut.headers == [SIPHeaders.Field(name: "Accept", value: "application/sdp")])
        // Supporting the tags lifts the 420.
        let lenient = RequestChecks(configuration: .init(supportedOptionTags: [
            "nothingSupportsThis", "nothingSupportsThisEither", "noProxiesSupportThis", "norDoAnyProxiesSupportThis"]))
        #expect(lenient.check(try request("bext01")) == nil)
        // An element answering OPTIONS itself processes zeromf normally (RFC 3261 §16.3 item 3).
        #expect(RequestChecks(configuration: .init(locallyAnsweredMethods: [.options])).check(try request("zeromf")) == nil)
        // The rejection becomes a response with our To tag and the extra header.
        let resp = bext.response(to: try request("bext01"), toTag: "abc")
        #expect(resp.statusCode == 420)
        #expect(resp.to.tag == "abc")
        #expect(resp.headers["Unsupported"] != nil)
    }
}
