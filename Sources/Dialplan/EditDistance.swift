/// Did-you-mean suggestions for unknown keys and names.
enum EditDistance {
    /// Edit distance counting a swap of two neighbours as one edit
    /// (optimal string alignment), since "mian" for "main" is one slip.
    static func between(_ a: String, _ b: String) -> Int {
        between(Array(a.unicodeScalars), Array(b.unicodeScalars))
    }

    /// The same over scalars, in one flat table: `suggestion` runs it for every candidate of
    /// a list (all ~600 time zone names for an unknown `timezone:`), which the fuzzer showed
    /// to dominate a load.
    static func between(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var d = [Int](repeating: 0, count: (a.count + 1) * width)
        for i in 0...a.count { d[i * width] = i }
        for j in 0...b.count { d[j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = Swift.min(d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1, d[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { best = Swift.min(best, d[(i - 2) * width + j - 2] + 1) }
                d[i * width + j] = best
            }
        }
        return d[a.count * width + b.count]
    }

    /// The closest candidate within a distance proportional to the word's
    /// length (at most 3), so "timout" suggests "timeout" but "x" suggests nothing.
    static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        let limit = Swift.min(3, Swift.max(1, word.count / 3))
        let lowered = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for candidate in candidates {
            let other = Array(candidate.lowercased().unicodeScalars)
            // The distance is at least the difference in length: such a candidate cannot be
            // within the limit, so the table (length × length) is not worth filling.
            guard abs(other.count - lowered.count) <= limit else { continue }
            let distance = between(lowered, other)
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or an empty string.
    static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
