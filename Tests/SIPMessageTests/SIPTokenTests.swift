import SIPMessage
import Testing

/// The one random-token generator (tags and branches).
@Suite struct SIPTokenTests {
    /// A fixed-seed generator, so the test checks the shape, never luck.
    struct Counter: RandomNumberGenerator {
        var state: UInt64 = 0
        mutating func next() -> UInt64 { state &+= 0x9E37_79B9_7F4A_7C15; return state }
    }

    @Test func tokensAreAlphanumericOfTheAskedLength() {
        var rng = Counter()
        let token = SIPToken.random(length: 22, using: &rng)
        #expect(token.count == 22)
        #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        var again = Counter()
        #expect(SIPToken.random(length: 22, using: &again) == token)  // deterministic under a seed
    }

    @Test func tagsAreTwelveCharactersAndDiffer() {
        let tags = (0..<64).map { _ in SIPToken.tag() }
        #expect(tags.allSatisfy { $0.count == 12 })
        #expect(Set(tags).count == tags.count)
    }
}
