/// Did-you-mean suggestions for unknown keys and names.
enum EditDistance {
    /// Edit distance counting a swap of two neighbours as one edit
    /// (optimal string alignment), since "mian" for "main" is one slip.
    static func between(_ a: String, _ b: String) -> Int {
        // The bounded distance with no bound is exact (it never stops early).
        between(Array(a.unicodeScalars), Array(b.unicodeScalars), atMost: .max)
    }

    /// The distance bounded by `bound` (in one flat table: `suggestion` runs it for every
    /// candidate of a list, all ~600 time zone names for an unknown `timezone:`): exact when the distance is at most `bound`, else some
    /// number above it. It stops once two rows in a row are past the bound: every later row
    /// keeps a minimum at least the smaller of the last row's and one more than the row
    /// before's (each cell comes from the row above, the same row, or two rows up plus one),
    /// so the distance can only be larger. A word in a fuzzed file is long and matches
    /// nothing: the rows past the third or fourth were the whole cost.
    static func between(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atMost bound: Int) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var d = [Int](repeating: 0, count: (a.count + 1) * width)
        for i in 0...a.count { d[i * width] = i }
        for j in 0...b.count { d[j] = j }
        var previousMinimum = 0  // row 0's
        for i in 1...a.count {
            var minimum = d[i * width]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = Swift.min(d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1, d[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { best = Swift.min(best, d[(i - 2) * width + j - 2] + 1) }
                d[i * width + j] = best
                minimum = Swift.min(minimum, best)
            }
            if minimum > bound, previousMinimum >= bound { return bound + 1 }
            previousMinimum = minimum
        }
        return d[a.count * width + b.count]
    }

    /// Candidates lowered once, for a list asked again and again (the ~600 time zone names:
    /// lowering each and copying its scalars for every unknown `timezone:` cost as much as
    /// comparing them).
    struct Candidates: Sendable {
        let names: [String]
        let lowered: [[Unicode.Scalar]]

        init(_ names: some Sequence<String>) {
            self.names = Array(names)
            lowered = self.names.map { Array($0.lowercased().unicodeScalars) }
        }
    }

    /// The closest candidate within a distance proportional to the word's
    /// length (at most 3), so "timout" suggests "timeout" but "x" suggests nothing.
    static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        suggestion(for: word, among: Candidates(candidates))
    }

    /// The same over candidates lowered beforehand. The first closest wins (file order).
    static func suggestion(for word: String, among candidates: Candidates) -> String? {
        let limit = Swift.min(3, Swift.max(1, word.count / 3))
        let lowered = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for (candidate, other) in zip(candidates.names, candidates.lowered) {
            // The distance is at least the difference in length: such a candidate cannot be
            // within the limit, so the table (length × length) is not worth filling.
            guard abs(other.count - lowered.count) <= limit else { continue }
            // Only a distance within the limit and below the best so far changes the answer.
            let bound = Swift.min(limit, (best?.1 ?? Int.max) - 1)
            if bound < 0 { break }
            let distance = between(lowered, other, atMost: bound)
            if distance <= bound { best = (candidate, distance) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or an empty string.
    static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The same over candidates lowered beforehand.
    static func hint(for word: String, among candidates: Candidates) -> String {
        suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
