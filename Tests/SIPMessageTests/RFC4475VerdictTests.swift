import Testing
@testable import SIPMessage

/// RFC 4475: every one of the 49 messages gets exactly the verdict of
/// Tests/Fixtures/rfc4475/README.md.
@Suite struct RFC4475VerdictTests {
    enum Verdict: Sendable, CustomStringConvertible {
        /// Parses (request or response); no further stage refuses it.
        case valid
        /// The parser refuses the request with this status.
        case refused(Int)
        /// A malformed response: parse error flagged `isResponse`, no error response.
        case dropped
        /// Parses; `RequestChecks` answers with this status (nil: it lets the request through).
        case checked(Int?)

        var description: String {
            switch self {
            case .valid: "valid"
            case .refused(let s): "refused \(s)"
            case .dropped: "dropped"
            case .checked(let s): "checked \(s.map(String.init) ?? "ok")"
            }
        }
    }

    static let verdicts: [String: Verdict] = [
        // §3.1.1 valid
        "wsinv": .valid, "intmeth": .valid, "esc01": .valid, "escnull": .valid, "esc02": .valid,
        "lwsdisp": .valid, "longreq": .valid, "dblreq": .valid, "semiuri": .valid, "transports": .valid,
        "mpart01": .valid, "unreason": .valid, "noreason": .valid,
        // §3.1.2 invalid
        "badinv01": .refused(400), "clerr": .refused(400), "ncl": .refused(400), "scalar02": .refused(400),
        "scalarlg": .dropped, "quotbal": .refused(400), "ltgtruri": .refused(400), "lwsruri": .refused(400),
        "lwsstart": .refused(400), "trws": .refused(400), "escruri": .refused(400),
        "baddate": .valid, // 400 only if the Date matters; to us it does not (README)
        "regbadct": .refused(400), "badaspec": .refused(400), "baddn": .refused(400), "badvers": .refused(505),
        "mismatch01": .refused(400), "mismatch02": .refused(501), "bigcode": .dropped,
        // §3.2
        "badbranch": .checked(400),
        // §3.3
        "insuf": .refused(400), "unkscm": .checked(416), "novelsc": .checked(416), "unksm2": .checked(nil),
        "bext01": .checked(420), "invut": .checked(415), "regaut01": .checked(nil), "multi01": .refused(400),
        "mcl01": .refused(400), "bcast": .valid, "zeromf": .checked(483), "cparam01": .checked(nil),
        "cparam02": .checked(nil), "regescrt": .checked(nil), "sdp01": .checked(406),
        // §3.4
        "inv2543": .checked(nil),
    ]

    /// The check that must fire for each refused file (so a refusal is never an accident).
    static let reasons: [String: String] = [
        "badinv01": "Empty element in Via", "clerr": "Content-Length larger", "ncl": "Malformed Content-Length",
        "scalar02": "CSeq number too large", "quotbal": "unbalanced quotes", "ltgtruri": "Request-URI: illegal character",
        "lwsruri": "Malformed request line", "lwsstart": "Malformed request line", "trws": "Malformed request line",
        "escruri": "headers are not allowed", "regbadct": "enclosed in <>", "badaspec": "whitespace inside <>",
        "baddn": "display name must be a quoted string", "badvers": "SIP version SIP/7.0",
        "mismatch01": "CSeq method INVITE does not match OPTIONS", "mismatch02": "CSeq method INVITE does not match NEWMETHOD",
        "insuf": "Missing From", "multi01": "More than one", "mcl01": "More than one Content-Length",
        "scalarlg": "CSeq number too large", "bigcode": "Status code out of range",
    ]

    @Test func checksumsMatch() throws {
        let r = try Fixtures.verifyChecksums("rfc4475")
        #expect(r.status == 0)
        #expect(r.ok == 49)
    }

    @Test func tableCoversEveryFile() throws {
        let names = try Fixtures.names("rfc4475")
        #expect(names.count == 49)
        #expect(Set(names.map { String($0.dropLast(4)) }) == Set(Self.verdicts.keys))
    }

    @Test(arguments: verdicts.keys.sorted())
    func verdict(_ name: String) throws {
        let bytes = try Fixtures.bytes("rfc4475", name + ".dat")
        let result = Fixtures.parse(bytes)
        let verdict = try #require(Self.verdicts[name])
        switch verdict {
        case .valid:
            if case .failure(let e) = result { Issue.record("\(name): refused \(e)") }
            if let r = result.request { #expect(RequestChecks().check(r) == nil || name == "wsinv", "\(name)") }
        case .refused(let status):
            let e = try #require(result.error, "\(name) parsed")
            #expect(e.status == status, "\(name): \(e)")
            #expect(e.reason.contains(Self.reasons[name] ?? "?"), "\(name): \(e.reason)")
            #expect(!e.isResponse)
            // Enough was recovered to answer it statelessly.
            let answer = try #require(e.responseBytes(toTag: "t1"), "\(name)")
            let text = String(decoding: answer, as: UTF8.self)
            #expect(text.hasPrefix("SIP/2.0 \(status) "))
            #expect(text.contains("\r\nVia: "))
            #expect(text.hasSuffix("Content-Length: 0\r\n\r\n"))
        case .dropped:
            let e = try #require(result.error, "\(name) parsed")
            #expect(e.isResponse)
            #expect(e.responseBytes(toTag: "t1") == nil)
            #expect(e.reason.contains(Self.reasons[name] ?? "?"), "\(name): \(e.reason)")
        case .checked(let status):
            let r = try #require(result.request, "\(name): \(String(describing: result.error))")
            #expect(RequestChecks().check(r)?.status == status, "\(name): \(String(describing: RequestChecks().check(r)))")
        }
    }
}
