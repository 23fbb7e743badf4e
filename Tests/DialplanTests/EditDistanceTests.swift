import Foundation
import Testing
@testable import Dialplan

/// `EditDistance` skips candidates whose length alone puts them past the limit and fills one
/// flat table (the dialplan fuzz target spent most of its time in suggestions for unknown
/// timezones); its answers must be those of the plain algorithm it replaced, kept here as
/// the model.
@Suite struct EditDistanceTests {
    /// The previous implementation, unchanged: nested tables, every candidate compared.
    static func modelDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    static func modelSuggestion(for word: String, among candidates: [String]) -> String? {
        let limit = Swift.min(3, Swift.max(1, word.count / 3))
        var best: (String, Int)?
        for candidate in candidates {
            let distance = modelDistance(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Slips of every kind (drop, insert, swap, replace, case, repeats) on real candidate
    /// lists, with a fixed seed so a failure replays.
    static func words(from candidates: [String], count: Int) -> [String] {
        var rng = SplitMix(seed: 0x5eed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz/_-ÄİßK".unicodeScalars)
        var out: [String] = ["", "x", "ab", String(repeating: "a", count: 300), "İstanbul", "europe/lodnon"]
        for _ in 0..<count {
            var s = Array(candidates[Int(rng.next() % UInt64(candidates.count))].unicodeScalars)
            for _ in 0..<Int(rng.next() % 5) {
                let at = s.isEmpty ? 0 : Int(rng.next() % UInt64(s.count))
                switch rng.next() % 5 {
                case 0 where !s.isEmpty: s.remove(at: at)
                case 1: s.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 2 where at + 1 < s.count: s.swapAt(at, at + 1)
                case 3 where !s.isEmpty: s[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                default: s += s.prefix(Int(rng.next() % 4))
                }
            }
            var text = String(String.UnicodeScalarView(s))
            if rng.next() % 4 == 0 { text = text.uppercased() }
            out.append(text)
        }
        return out
    }

    @Test func suggestionsAreTheModelsOnTimezonesAndKeys() {
        let lists = [AccountParser.timeZoneNames, AccountParser.topKeys, AccountParser.kinds + ["then"], ["caller", "tracking-number"]]
        var compared = 0
        for list in lists {
            for word in Self.words(from: list, count: list.count > 100 ? 1_500 : 300) {
                #expect(EditDistance.suggestion(for: word, among: list) == Self.modelSuggestion(for: word, among: list), "\(word)")
                compared += 1
            }
        }
        #expect(compared > 2_000)
        #expect(EditDistance.suggestion(for: "Europe/Lodnon", among: AccountParser.timeZoneNames) == "Europe/London")
    }

    /// The time zone names are lowered once (`AccountParser.timeZoneCandidates`): the same
    /// answers as the model over the plain list, and the same hint text.
    @Test func precomputedCandidatesAnswerAsTheModel() {
        let list = AccountParser.timeZoneNames
        #expect(AccountParser.timeZoneCandidates.names == list)
        for word in Self.words(from: list, count: 1_500) + ["", "x", String(repeating: "Europe/", count: 200)] {
            #expect(EditDistance.suggestion(for: word, among: AccountParser.timeZoneCandidates) == Self.modelSuggestion(for: word, among: list), "\(word)")
        }
        #expect(EditDistance.hint(for: "europe/londn", among: AccountParser.timeZoneCandidates) == " (did you mean 'Europe/London'?)")
        #expect(EditDistance.hint(for: "Mars/Olympus", among: AccountParser.timeZoneCandidates) == "")
    }

    /// The bounded distance stops early: exact up to its bound, above the bound beyond it.
    @Test func boundedDistancesAreExactWithinTheBound() {
        let words = Self.words(from: AccountParser.topKeys + ["Europe/London", "America/Chicago", "aaaa", "abab"], count: 300)
        var stoppedEarly = 0
        for (a, b) in zip(words, words.reversed()) {
            let (x, y) = (Array(a.unicodeScalars), Array(b.unicodeScalars))
            let exact = Self.modelDistance(a, b)
            for bound in 0...4 {
                let bounded = EditDistance.between(x, y, atMost: bound)
                if exact <= bound { #expect(bounded == exact, "\(a) / \(b) at most \(bound)") } else {
                    #expect(bounded > bound, "\(a) / \(b) at most \(bound)")
                    if bounded != exact { stoppedEarly += 1 }
                }
            }
        }
        #expect(stoppedEarly > 0)
        #expect(EditDistance.between(Array("mian".unicodeScalars), Array("main".unicodeScalars), atMost: 1) == 1)
        #expect(EditDistance.between(Array("abcdefgh".unicodeScalars), Array("zyxwvuts".unicodeScalars), atMost: 2) == 3)
    }

    @Test func distancesAreTheModels() {
        let words = Self.words(from: AccountParser.topKeys + ["Europe/London", "America/Chicago"], count: 200)
        for (a, b) in zip(words, words.reversed()) {
            #expect(EditDistance.between(a, b) == Self.modelDistance(a, b), "\(a) / \(b)")
        }
        #expect(EditDistance.between("mian", "main") == 1)
        #expect(EditDistance.between("", "abc") == 3)
    }

    @Test func timeZoneNamesAreFoundations() {
        #expect(AccountParser.timeZoneNames == TimeZone.knownTimeZoneIdentifiers)
        #expect(AccountParser.timeZoneNames.contains("Europe/London"))
    }

    /// A small seeded generator (SplitMix64), so generated cases are the same on every run.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
