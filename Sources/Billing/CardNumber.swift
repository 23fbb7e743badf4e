/// Card-number detection: we store processor tokens only. Anything holding 12–19 digits
/// (spaces or dashes between them allowed) that pass the Luhn check is refused, wherever it
/// sits in the string. The database enforces the same rule (`billing_contains_pan`).
public enum CardNumber {
    public static func luhnValid<C: Collection>(_ digits: C) -> Bool where C.Element == Int {
        var total = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = d
            if i % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            total += v
        }
        return total % 10 == 0
    }

    /// True when `s` contains something that may be a card number.
    public static func containsCardNumber(_ s: String) -> Bool {
        for run in digitRuns(s) where run.count >= 12 {
            for w in 12...min(19, run.count) {
                for i in 0...(run.count - w) where luhnValid(run[i..<(i + w)]) { return true }
            }
        }
        return false
    }

    /// Maximal digit runs, a single space or dash between two digits joining them.
    static func digitRuns(_ s: String) -> [[Int]] {
        var runs: [[Int]] = []
        var current: [Int] = []
        var pendingSeparator = false
        for ch in s.unicodeScalars {
            if ch.value >= 48 && ch.value <= 57 {
                current.append(Int(ch.value - 48))
                pendingSeparator = false
            } else if (ch == " " || ch == "-") && !current.isEmpty && !pendingSeparator {
                pendingSeparator = true
            } else {
                if !current.isEmpty { runs.append(current) }
                current = []
                pendingSeparator = false
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}
