/// Card-number detection: we store processor tokens only. Refused: any digit sequence of
/// 12–19 digits passing the Luhn check, wherever it sits in the string — written plain
/// ("4242424242424242"), in groups joined by single spaces or dashes ("4242 4242 4242 4242",
/// any span of consecutive groups is checked), or buried inside a longer digit run (every
/// 12–19 digit window of a run longer than 19). The database enforces the same rule
/// (`billing_contains_pan`).
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
        for run in groupRuns(s) {
            // Spans of consecutive groups.
            for i in run.indices {
                var digits: [Int] = []
                for j in i..<run.count {
                    digits += run[j]
                    if digits.count > 19 { break }
                    if digits.count >= 12, luhnValid(digits) { return true }
                }
            }
            // Windows inside a group too long to be a card number itself.
            for g in run where g.count > 19 {
                for w in 12...19 {
                    for k in 0...(g.count - w) where luhnValid(g[k..<(k + w)]) { return true }
                }
            }
        }
        return false
    }

    /// Runs of digit groups, groups joined by exactly one space or dash.
    static func groupRuns(_ s: String) -> [[[Int]]] {
        var runs: [[[Int]]] = []
        var run: [[Int]] = []
        var group: [Int] = []
        var separator = false
        func endRun() {
            if !group.isEmpty { run.append(group) }
            if !run.isEmpty { runs.append(run) }
            run = []; group = []; separator = false
        }
        for ch in s.unicodeScalars {
            if ch.value >= 48 && ch.value <= 57 {
                if separator { run.append(group); group = []; separator = false }
                group.append(Int(ch.value - 48))
            } else if (ch == " " || ch == "-") && !group.isEmpty && !separator {
                separator = true
            } else {
                endRun()
            }
        }
        endRun()
        return runs
    }
}
