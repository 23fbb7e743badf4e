import Testing
@testable import Registrar

/// The hash functions against their standards' vectors (FIPS 180-4 examples, RFC 1321
/// appendix A.5, RFC 4231 §4.2–4.3).
@Suite struct DigestHashTests {
    func sha(_ s: String) -> String { DigestHash.hex(DigestHash.sha256(Array(s.utf8))) }
    func md5(_ s: String) -> String { DigestHash.hex(DigestHash.md5(Array(s.utf8))) }

    @Test func sha256Vectors() {
        #expect(sha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(sha(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func md5Vectors() {
        #expect(md5("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(md5("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(md5("message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(md5(String(repeating: "1234567890", count: 8)) == "57edf4a22be3c955ac49da2e2107b67a")
        #expect(md5(String(repeating: "a", count: 1000)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }

    @Test func hmacSHA256Vectors() {
        #expect(DigestHash.hex(DigestHash.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(DigestHash.hex(DigestHash.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func constantTimeComparison() {
        #expect(DigestHash.constantTimeEquals("abc", "abc"))
        #expect(!DigestHash.constantTimeEquals("abc", "abd"))
        #expect(!DigestHash.constantTimeEquals("abc", "abcd"))
    }
}
