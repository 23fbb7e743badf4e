extension NameAddress {
    /// Parses one `name-addr` or `addr-spec` with its header parameters (RFC 3261 §20.10,
    /// §25.1). The display name keeps a quoted-string's inside verbatim (escapes included), so
    /// `description` re-quotes it to the same bytes. In an addr-spec the URI ends at the first
    /// `;`: what follows are header parameters (RFC 4475 §3.3.12). nil when malformed,
    /// including everything `NameAddressSyntax` refuses (unquoted display names that are not
    /// tokens, whitespace inside `<>`, `?` in an addr-spec, unbalanced quotes); that type
    /// then says why, on the error path only.
    public init?(parsing text: Substring) {
        self.init(bytes: Array(text.utf8)[...])
    }

    init?(bytes u: ArraySlice<UInt8>) {
        var i = u.startIndex
        func skipLWS() { while i < u.endIndex, u[i] == 0x20 || u[i] == 0x09 { i += 1 } }
        skipLWS()
        var display: String?
        var uriText: ArraySlice<UInt8>
        if i < u.endIndex, u[i] == UInt8(ascii: "\"") {
            let s = i + 1
            i = s
            while i < u.endIndex, u[i] != UInt8(ascii: "\"") { i += u[i] == UInt8(ascii: "\\") ? 2 : 1 }
            guard i < u.endIndex else { return nil }
            display = String(decoding: u[s..<i], as: UTF8.self)
            i += 1
            skipLWS()
            guard i < u.endIndex, u[i] == UInt8(ascii: "<") else { return nil }
        }
        if let lt = u[i...].firstIndex(of: UInt8(ascii: "<")), display != nil || !u[i..<lt].contains(UInt8(ascii: ":")) {
            if display == nil {
                var e = lt
                while e > i, u[e - 1] == 0x20 || u[e - 1] == 0x09 { e -= 1 }
                // display-name = *(token LWS) when not quoted (RFC 3261 §25.1, RFC 4475 §3.1.2.15).
                guard u[i..<e].allSatisfy({ SIPMessageValidator.isTokenChar($0) || $0 == 0x20 || $0 == 0x09 }) else { return nil }
                if e > i { display = String(decoding: u[i..<e], as: UTF8.self) }
            }
            guard let gt = u[lt...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            uriText = u[(lt + 1)..<gt]
            // No LWS inside `<>` (RFC 4475 §3.1.2.14).
            guard !uriText.contains(where: { $0 == 0x20 || $0 == 0x09 }) else { return nil }
            i = gt + 1
        } else {
            let s = i
            while i < u.endIndex, u[i] != UInt8(ascii: ";"), u[i] != 0x20, u[i] != 0x09 { i += 1 }
            uriText = u[s..<i]
            // An addr-spec cannot carry `?headers` or a comma (RFC 3261 §20.10, RFC 4475 §3.1.2.13).
            guard !uriText.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: ",") }) else { return nil }
        }
        guard let uri = SIPURI(bytes: uriText) else { return nil }
        guard let params = NameAddress.parameters(u[i...]) else { return nil }
        self.init(displayName: display, uri: uri, parameters: params)
    }

    /// `*( SEMI generic-param )` with LWS around `;` and `=` (RFC 3261 §25.1, RFC 4475 §3.1.1.1).
    static func parameters(_ u: ArraySlice<UInt8>) -> [(name: String, value: String?)]? {
        var out: [(name: String, value: String?)] = []
        var q = QuoteTracker()
        var start: Int? = nil   // start of the current parameter (after its `;`)
        var i = u.startIndex
        while i <= u.endIndex {
            let atEnd = i == u.endIndex
            if atEnd || (q.feed(u[i]) && u[i] == UInt8(ascii: ";")) {
                if let s = start {
                    let piece = u[s..<i]
                    let eq = piece.firstIndex(of: UInt8(ascii: "="))
                    let name = trim(piece[piece.startIndex..<(eq ?? piece.endIndex)])
                    guard !name.isEmpty else { return nil }
                    // generic-param = token [ EQUAL gen-value ]; gen-value is never empty.
                    let value = eq.map { trim(piece[($0 + 1)...]) }
                    if let value, value.isEmpty { return nil }
                    out.append((String(decoding: name, as: UTF8.self), value.map { String(decoding: $0, as: UTF8.self) }))
                } else if !u[u.startIndex..<i].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    // Before the first `;` only whitespace may stand.
                    return nil
                }
                start = i + 1
            }
            i += 1
        }
        return q.inQuotes ? nil : out
    }

    private static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var a = s.startIndex, b = s.endIndex
        while a < b, s[a] == 0x20 || s[a] == 0x09 { a += 1 }
        while b > a, s[b - 1] == 0x20 || s[b - 1] == 0x09 { b -= 1 }
        return s[a..<b]
    }

    /// Splits a list header (Contact, Route, Record-Route) at top-level commas and appends each
    /// element of a list header to `out`; false when one is malformed.
    static func parseList(_ u: [UInt8], into out: inout [NameAddress]) -> Bool {
        var q = QuoteTracker()
        var start = 0
        for i in 0...u.count {
            if i == u.count || (q.feed(u[i]) && u[i] == UInt8(ascii: ",")) {
                guard let na = NameAddress(bytes: u[start..<i]) else { return false }
                out.append(na)
                start = i + 1
            }
        }
        return true
    }
}
