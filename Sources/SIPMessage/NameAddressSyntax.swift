/// Checks of From/To/Contact/Route values that libosip2 does not make (RFC 3261 §20.10, §25.1):
/// a display name is `*(token LWS)` or a quoted-string, `<...>` holds no whitespace, and an
/// addr-spec (no `<>`) may not carry `?headers` (it would be ambiguous).
enum NameAddressSyntax {
    /// nil when fine, else why not. `allowList`: the header may hold comma-separated values.
    static func check(_ u: [UInt8], allowList: Bool) -> String? {
        var start = 0
        var q = QuoteTracker()
        if allowList {
            for (i, c) in u.enumerated() where q.feed(c) && c == UInt8(ascii: ",") {
                if let why = checkOne(u[start..<i]) { return why }
                start = i + 1
            }
        }
        return checkOne(u[start..<u.count])
    }

    private static func checkOne(_ u: ArraySlice<UInt8>) -> String? {
        var i = u.startIndex
        let end = u.endIndex
        var sawQuoted = false
        while i < end {
            let c = u[i]
            if c == 0x20 || c == 0x09 { i += 1; continue }
            if c == UInt8(ascii: "\"") {
                if sawQuoted { return "two quoted display names" }
                sawQuoted = true
                i += 1
                var closed = false
                while i < end {
                    if u[i] == UInt8(ascii: "\\") { i += 2; continue }
                    if u[i] == UInt8(ascii: "\"") { closed = true; break }
                    i += 1
                }
                if !closed { return "unbalanced quotes in display name" }
                i += 1
                continue
            }
            if c == UInt8(ascii: "<") {
                i += 1
                while i < end, u[i] != UInt8(ascii: ">") {
                    if u[i] == 0x20 || u[i] == 0x09 { return "whitespace inside <>" }
                    i += 1
                }
                if i == end { return "unclosed <" }
                // After `>` only header parameters follow; quotes there must balance.
                var q = QuoteTracker()
                for c in u[(i + 1)...] { _ = q.feed(c) }
                return q.inQuotes ? "unbalanced quotes in parameters" : nil
            }
            if c == UInt8(ascii: ":") && !sawQuoted {
                // addr-spec form: the URI runs to the first `;` (RFC 3261 §20.10).
                var j = i
                while j < end, u[j] != UInt8(ascii: ";") {
                    if u[j] == UInt8(ascii: "?") { return "URI with headers must be enclosed in <>" }
                    j += 1
                }
                return nil
            }
            if sawQuoted || !SIPMessageValidator.isTokenChar(c) { return "display name must be a quoted string" }
            i += 1
        }
        return "no URI"
    }
}
