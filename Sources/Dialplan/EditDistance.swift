/// Did-you-mean suggestions for unknown keys and names.
enum EditDistance {
    /// Levenshtein distance between two strings (by Unicode scalar).
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The closest candidate within a distance proportional to the word's
    /// length (at most 3), so "timout" suggests "timeout" but "x" suggests nothing.
    static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        let limit = Swift.min(3, Swift.max(1, word.count / 3))
        var best: (String, Int)?
        for candidate in candidates {
            let distance = between(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or an empty string.
    static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
