import Testing
@testable import Dialplan

/// The loader's E.164 fast path (issue 17 item 1) against libphonenumber itself: for many
/// generated numbers the cached verdict (asked once per country code + national length +
/// leading digits) is the one libphonenumber gives for that very number.
@Suite(.serialized) struct E164VerdictsTests {
    /// A deterministic generator (SplitMix64), so a disagreement reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Shared (1: NANP, 7, 44), leading-zero (39), national-prefix-heavy (52, 54, 55, 49),
    /// three-digit, non-geographic (800, 870, 882, 979) and unassigned (999, 28x, 42) codes.
    static let codes = ["1", "7", "20", "27", "33", "39", "44", "49", "52", "54", "55", "61", "62", "81", "86", "91",
                        "212", "262", "290", "358", "372", "380", "598", "800", "870", "882", "883", "979",
                        "999", "280", "42", "3", "6"]
    /// National leading digits that national-prefix patterns look at (0, 1, AR's 9 and 15).
    static let leads = ["", "0", "00", "1", "9", "15", "11", "0915", "2", "8"]

    static func digits(_ count: Int, _ rng: inout SplitMix) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
    }

    @Test func fastPathAgreesWithLibphonenumber() {
        E164Verdicts.reset()
        var rng = SplitMix(state: 17)
        var numbers: [String] = []
        // Clusters of numbers sharing a key-sized prefix, so cached verdicts are reused.
        for _ in 0..<3_000 {
            let code = Self.codes.randomElement(using: &rng)!
            let lead = Self.leads.randomElement(using: &rng)!
            let total = Int.random(in: 8...15, using: &rng)
            let head = code + lead
            guard head.count < total else { continue }
            let stem = head + Self.digits(max(0, min(total, code.count + E164Verdicts.prefixDigits) - head.count), &rng)
            for _ in 0..<8 {
                let text = "+" + stem + Self.digits(total - stem.count, &rng)
                if PhoneNumber.isStrictE164(text) { numbers.append(text) }
            }
        }
        numbers.shuffle(using: &rng)
        var disagreements: [String] = []
        var kinds = Set<String>()
        for text in numbers {
            let fast = E164Verdicts.verdict(strictE164: text)
            let slow = E164Verdicts.ask(text)
            if fast != slow { disagreements.append("\(text): fast \(fast), libphonenumber \(slow)") }
            switch slow {
            case .unparseable: kinds.insert("unparseable")
            case .parsed(_, let possible): kinds.insert(possible ? "possible" : "impossible")
            }
        }
        #expect(numbers.count > 20_000)
        // The generated set reaches every verdict, so agreement is not vacuous.
        #expect(kinds == ["unparseable", "possible", "impossible"])
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
    }

    @Test func keyedByCodeLengthAndLeadingDigits() {
        // Same code, length and first eight national digits: one key.
        #expect(E164Verdicts.key("+12025550100") == E164Verdicts.key("+12025550199"))
        #expect(E164Verdicts.key("+12025550100") != E164Verdicts.key("+120255501000"))
        #expect(E164Verdicts.key("+12025550100") != E164Verdicts.key("+12025560100"))
        // Leading zeros of the national number are part of the key (Italy keeps them).
        #expect(E164Verdicts.key("+39061234567") != E164Verdicts.key("+39612345670"))
        // No assigned 1-3 digit prefix: no key, libphonenumber is asked directly.
        #expect(E164Verdicts.key("+9991234567") == nil)
        #expect(E164Verdicts.verdict(strictE164: "+9991234567") == .unparseable)
        #expect(E164Verdicts.verdict(strictE164: "+442079460958") == .parsed(countryCode: 44, possible: true))
        #expect(E164Verdicts.verdict(strictE164: "+120255501") == .parsed(countryCode: 1, possible: false))
    }
}
