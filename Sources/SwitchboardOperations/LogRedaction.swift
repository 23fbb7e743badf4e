import Foundation

/// What never reaches a log line, whatever a caller passes: values of metadata keys that
/// name secrets, `password=` in connection strings, and payment card numbers (13–19 digits
/// passing the Luhn check; E.164 numbers start with `+` and are left alone).
public enum LogRedaction {
    public static let secretKeyWords = ["password", "passwd", "secret", "token", "authorization", "card", "pan", "cvv", "cvc", "apikey", "api_key"]
    public static let mask = "[redacted]"

    public static func isSecretKey(_ key: String) -> Bool {
        // "api-key" is "api_key": dashes and underscores join a word the same way.
        let lower = key.lowercased().replacingOccurrences(of: "-", with: "_")
        return secretKeyWords.contains { word in
            // Whole dotted/underscored segments, so "span" or "company" are not secrets.
            lower.split(whereSeparator: { $0 == "." || $0 == "_" || $0 == "-" }).contains { $0 == word[...] }
                || lower == word || (word.count > 4 && lower.contains(word))
        }
    }

    public static func scrub(_ text: String) -> String {
        var out = scrubPasswords(text)
        out = scrubCardNumbers(out)
        return out
    }

    /// `password=xyz` / `password: xyz` (libpq connection strings, URLs' `user:pw@`).
    public static func scrubPasswords(_ text: String) -> String {
        guard text.lowercased().contains("password") || text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "password", options: .caseInsensitive) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            var separator = Substring("")
            while let c = rest.first, c == "=" || c == ":" || c == " " { separator.append(c); rest = rest.dropFirst() }
            result += separator
            if separator.contains("=") || separator.contains(":") {
                let end = rest.firstIndex(where: { $0 == " " || $0 == "&" || $0 == "," }) ?? rest.endIndex
                if end != rest.startIndex { result += mask }
                rest = rest[end...]
            }
        }
        result += rest
        // scheme://user:secret@host
        if let scheme = result.range(of: "://"), let at = result[scheme.upperBound...].firstIndex(of: "@"),
           let colon = result[scheme.upperBound..<at].firstIndex(of: ":") {
            result.replaceSubrange(result.index(after: colon)..<at, with: mask)
        }
        return result
    }

    public static func scrubCardNumbers(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 13 else { return text }
        var out = ""
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else { out.append(chars[i]); i += 1; continue }
            // A run of digits, allowing single spaces or dashes between groups.
            var j = i
            var digits: [Int] = []
            while j < chars.count {
                if chars[j].isASCII, let d = chars[j].wholeNumberValue { digits.append(d); j += 1 }
                else if (chars[j] == " " || chars[j] == "-"), j + 1 < chars.count, chars[j + 1].isASCII, chars[j + 1].isNumber, !digits.isEmpty { j += 1 }
                else { break }
            }
            let precededByPlus = i > 0 && chars[i - 1] == "+"
            if !precededByPlus, (13...19).contains(digits.count), luhn(digits) {
                out += mask
            } else {
                out += String(chars[i..<j])
            }
            i = j
        }
        return out
    }

    public static func luhn(_ digits: [Int]) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            if index % 2 == 1 { let d = digit * 2; sum += d > 9 ? d - 9 : d } else { sum += digit }
        }
        return sum % 10 == 0
    }
}
