extension SIPURI {
    /// Parses `sip:`/`sips:` URIs (RFC 3261 §19.1.1, §25.1) and keeps any other scheme opaque.
    ///
    /// Ours rather than libosip2's `osip_uri_parse`, because that one unescapes the user part
    /// and parameters while parsing (`%75se%72` becomes `user`). RFC 4475 §3.1.1.3 wants them
    /// unescaped exactly once, when comparing; keeping the text as received also makes
    /// parse → serialise → parse stable. nil when it is not a URI.
    public init?(parsing text: Substring) {
        self.init(bytes: Array(text.utf8)[...])
    }

    init?(bytes u: ArraySlice<UInt8>) {
        // Never in a URI (RFC 3986 §2, RFC 3261 §25.1): controls, LWS, `<` `>` `"`. Refusing them
        // here also keeps serialisation inside `<>` unambiguous.
        guard !u.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }) else {
            return nil
        }
        guard let colon = u.firstIndex(of: UInt8(ascii: ":")), colon > u.startIndex,
              u[u.startIndex..<colon].allSatisfy({ ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return nil }
        let scheme = SIPURI.lowercasedScheme(u[u.startIndex..<colon])
        let rest = u[(colon + 1)...]
        guard scheme == "sip" || scheme == "sips" else {
            guard !rest.isEmpty else { return nil }
            self.init(scheme: scheme, host: "", opaque: String(decoding: rest, as: UTF8.self))
            return
        }
        // userinfo ends at the `@` (it may hold `;` `?` `:`, RFC 4475 §3.1.1.2, §3.1.1.9).
        var user: String?, password: String?
        var hostStart = rest.startIndex
        if let at = rest.firstIndex(of: UInt8(ascii: "@")) {
            let info = rest[rest.startIndex..<at]
            if let pc = info.firstIndex(of: UInt8(ascii: ":")) {
                user = String(decoding: info[..<pc], as: UTF8.self)
                password = String(decoding: info[(pc + 1)...], as: UTF8.self)
            } else {
                user = String(decoding: info, as: UTF8.self)
            }
            hostStart = at + 1
        }
        var i = hostStart
        var host: String
        var port: Int?
        if i < rest.endIndex, rest[i] == UInt8(ascii: "[") {
            guard let close = rest[i...].firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = String(decoding: rest[(i + 1)..<close], as: UTF8.self)
            i = close + 1
        } else {
            let s = i
            while i < rest.endIndex, rest[i] != UInt8(ascii: ":"), rest[i] != UInt8(ascii: ";"), rest[i] != UInt8(ascii: "?") { i += 1 }
            host = String(decoding: rest[s..<i], as: UTF8.self)
        }
        // RFC 3261 §25.1: a host is a name, an IPv4 or a bracketed IPv6 address, all printable
        // ASCII. Anything else (a byte ≥ 0x80, a control) could not be written back: values are
        // Swift strings, so an invalid byte would return as U+FFFD (found by bench/fuzz `sip`).
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        if i < rest.endIndex, rest[i] == UInt8(ascii: ":") {
            let s = i + 1
            i = s
            while i < rest.endIndex, rest[i] >= 0x30, rest[i] <= 0x39 { i += 1 }
            guard i > s, i - s <= 5, let p = Int(String(decoding: rest[s..<i], as: UTF8.self)), p <= 65535 else { return nil }
            port = p
        }
        var parameters: [(name: String, value: String?)] = []
        var headers: [(name: String, value: String)] = []
        if i < rest.endIndex, rest[i] == UInt8(ascii: ";") {
            var e = i
            while e < rest.endIndex, rest[e] != UInt8(ascii: "?") { e += 1 }
            // uri-parameter names are never empty (RFC 3261 §25.1): `;;`, `;?`, a trailing `;`
            // or `;=v` are malformed.
            guard rest[e - 1] != UInt8(ascii: ";") else { return nil }
            var s = i + 1
            while s < e {
                var t = s
                while t < e, rest[t] != UInt8(ascii: ";") { t += 1 }
                let item = rest[s..<t]
                let eq = item.firstIndex(of: UInt8(ascii: "=")) ?? t
                guard eq > s else { return nil }
                parameters.append((String(decoding: item[..<eq], as: UTF8.self),
                                   eq < t ? String(decoding: item[(eq + 1)...], as: UTF8.self) : nil))
                s = t + 1
            }
            i = e
        }
        if i < rest.endIndex, rest[i] == UInt8(ascii: "?") {
            // hname/hvalue have no `;` (RFC 3261 §25.1 hnv-unreserved / unreserved / escaped).
            guard !rest[(i + 1)...].contains(UInt8(ascii: ";")) else { return nil }
            for item in rest[(i + 1)...].split(separator: UInt8(ascii: "&")) {
                let eq = item.firstIndex(of: UInt8(ascii: "=")) ?? item.endIndex
                headers.append((String(decoding: item[..<eq], as: UTF8.self),
                                eq < item.endIndex ? String(decoding: item[(eq + 1)...], as: UTF8.self) : ""))
            }
            i = rest.endIndex
        }
        guard i == rest.endIndex else { return nil }
        // RFC 5118 §4.10: tolerate `2001:db8:::192.0.2.1`, read as `2001:db8::192.0.2.1`.
        if SIPURI.hasTripleColon(host) { host = SIPURI.collapseColons(host) }
        self.init(scheme: scheme, user: user, password: password, host: host, port: port,
                  parameters: parameters, headers: headers)
    }

    /// "sip"/"sips" without allocating a lower-cased copy; other schemes lower-cased.
    static func lowercasedScheme(_ b: ArraySlice<UInt8>) -> String {
        let s = b.startIndex
        if b.count == 3 || b.count == 4, b[s] | 0x20 == UInt8(ascii: "s"), b[s + 1] | 0x20 == UInt8(ascii: "i"),
           b[s + 2] | 0x20 == UInt8(ascii: "p") {
            if b.count == 3 { return "sip" }
            if b[s + 3] | 0x20 == UInt8(ascii: "s") { return "sips" }
        }
        return String(decoding: b, as: UTF8.self).lowercased()
    }

    /// Byte scan; `String.contains(_:)` goes through generic string searching and is slow.
    static func hasTripleColon(_ s: String) -> Bool {
        var run = 0
        for c in s.utf8 {
            if c == UInt8(ascii: ":") { run += 1; if run == 3 { return true } } else { run = 0 }
        }
        return false
    }

    /// Runs of three or more colons become "::".
    static func collapseColons(_ s: String) -> String {
        var out = ""
        var run = 0
        for c in s {
            if c == ":" { run += 1; if run <= 2 { out.append(c) } } else { run = 0; out.append(c) }
        }
        return out
    }
}
