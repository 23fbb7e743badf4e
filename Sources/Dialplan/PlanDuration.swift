/// Durations in dialplans: `20s`, `5m`, `1h`, or combinations like `1m30s`.
/// Whole seconds only: ring timers finer than a second mean nothing to a caller.
enum PlanDuration {
    /// Parses a duration into seconds; nil when malformed or zero.
    static func seconds(_ text: String) -> Int? {
        var total = 0, number = 0, sawDigit = false, sawUnit = false
        for character in text.trimmingCharactersWhitespace() {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = number * 10 + digit
                sawDigit = true
                if number > 86_400 * 7 { return nil }
                continue
            }
            guard sawDigit else { return nil }
            switch character {
            case "s": total += number
            case "m": total += number * 60
            case "h": total += number * 3600
            default: return nil
            }
            number = 0
            sawDigit = false
            sawUnit = true
        }
        guard sawUnit, !sawDigit, total > 0 else { return nil }
        return total
    }

    /// Formats seconds back the way admins write them (`90` → `1m30s`).
    static func format(_ seconds: Int) -> String {
        var parts = ""
        if seconds >= 3600 { parts += "\(seconds / 3600)h" }
        if seconds % 3600 >= 60 { parts += "\(seconds % 3600 / 60)m" }
        if seconds % 60 > 0 || seconds == 0 { parts += "\(seconds % 60)s" }
        return parts
    }
}

extension String {
    func trimmingCharactersWhitespace() -> Substring {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
