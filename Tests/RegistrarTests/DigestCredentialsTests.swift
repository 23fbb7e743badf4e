import Testing
@testable import Registrar

/// The parser and the response check with RFC 7616 §3.9.1's example (the same computation
/// RFC 8760 §2 prescribes for SIP: Mufasa / "Circle of Life").
@Suite struct DigestCredentialsTests {
    static let common = #"username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    static let md5Header = #"Digest algorithm=MD5, response="8ca523f5e9506fed4657c9700eebdbec", "# + common
    static let shaHeader = #"Digest "# + common + #", algorithm=SHA-256, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#

    @Test func rfc7616MD5Example() throws {
        let c = try #require(DigestCredentials(header: Self.md5Header))
        #expect(c.username == "Mufasa")
        #expect(c.realm == "http-auth@example.org")
        #expect(c.algorithm == .md5)
        #expect(c.nonceCount == 1)
        #expect(c.qop == "auth")
        let ha1 = DigestAlgorithm.md5.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life")
        #expect(c.matches(ha1: ha1, method: "GET"))
        #expect(!c.matches(ha1: ha1, method: "REGISTER"))
        let wrong = DigestAlgorithm.md5.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "circle of life")
        #expect(!c.matches(ha1: wrong, method: "GET"))
    }

    @Test func rfc7616SHA256Example() throws {
        let c = try #require(DigestCredentials(header: Self.shaHeader))
        #expect(c.algorithm == .sha256)
        #expect(c.opaque == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        let ha1 = DigestAlgorithm.sha256.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life")
        #expect(c.matches(ha1: ha1, method: "GET"))
        // The MD5 HA1 of the same password does not satisfy a SHA-256 response.
        let md5 = DigestAlgorithm.md5.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life")
        #expect(!c.matches(ha1: md5, method: "GET"))
    }

    @Test func caseAndSpacingAreLenient() throws {
        let c = try #require(DigestCredentials(header: #"digest  USERNAME = "a" ,Realm="r",nonce="n",uri="sip:x",response="ABCD",ALGORITHM=sha-256,qop=auth,nc=0000000a,cnonce="c""#))
        #expect(c.username == "a")
        #expect(c.algorithm == .sha256)
        #expect(c.response == "abcd")
        #expect(c.nonceCount == 10)
    }

    @Test func escapedQuotes() throws {
        let c = try #require(DigestCredentials(header: #"Digest username="a\"b", realm="r", nonce="n", uri="u", response="x""#))
        #expect(c.username == #"a"b"#)
        #expect(c.algorithm == .md5)  // RFC 7616 §3.3: absent means MD5
        #expect(c.qop == nil)
    }

    @Test(arguments: [
        "Basic dXNlcjpwYXNz",
        #"Digest realm="r", nonce="n", uri="u", response="x""#,                         // no username
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", username="b""#, // repeated
        #"Digest username="a, realm="r", nonce="n", uri="u", response="x""#,               // unclosed quote
        #"Digest username="a" realm="r", nonce="n", uri="u", response="x""#,               // missing comma
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512"#,
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth"#,   // qop without nc/cnonce
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth-int, nc=00000001, cnonce="c""#,
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, nc=1, cnonce="c""#,
        #"Digest username="a", realm="r", nonce="n", uri="u", response="x", nc=00000001"#,  // nc without qop
        "Digest",
    ])
    func malformedIsRefused(_ header: String) {
        #expect(DigestCredentials(header: header) == nil)
    }

    @Test func challengeRendering() {
        let c = DigestChallenge(realm: "switchboard", nonce: "abc", algorithm: .sha256, stale: true)
        #expect(c.headerValue == #"Digest realm="switchboard", nonce="abc", algorithm=SHA-256, qop="auth", stale=true"#)
        #expect(DigestChallenge(realm: "r", nonce: "n", algorithm: .md5).headerValue == #"Digest realm="r", nonce="n", algorithm=MD5, qop="auth""#)
    }
}

/// The parser on mutations of a real header (bounded: 20,000 inputs, a fixed seed): it never
/// traps, and whatever it accepts round-trips its fields from the text.
@Suite struct DigestCredentialsMutationTests {
    @Test func mutationsNeverTrap() {
        var rng = SplitMix(seed: 0x5eed)
        let base = Array(DigestCredentialsTests.shaHeader.utf8)
        let alphabet = Array(#"Digest ,="\ azAZ09-_:/"#.utf8) + [0, 0xff, 0x0d, 0x0a]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: i)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                }
                if bytes.isEmpty { bytes = [0x44] }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let c = DigestCredentials(header: text) {
                accepted += 1
                #expect(!c.username.isEmpty || text.contains(#"username="""#))
            }
        }
        #expect(accepted > 0)  // some mutations stay valid (the loop exercised the success path)
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9e3779b97f4a7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
            z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
            return z ^ (z >> 31)
        }
    }
}
