/// Request-URI checks libosip2 does not make (RFC 3261 §7.1, §19.1.1, §25.1;
/// RFC 4475 §3.1.2.7, §3.1.2.8, §3.1.2.11; RFC 5118 §4.2).
enum RequestURISyntax {
    /// nil when acceptable, else why not.
    static func check(_ uri: Substring) -> String? {
        let u = Array(uri.utf8)
        // No LWS, controls, `<>` or quotes: they would be copied on forwarding.
        if u.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }) {
            return "illegal character"
        }
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1)
        guard let colon = u.firstIndex(of: UInt8(ascii: ":")), colon > 0, isAlpha(u[0]),
              u[1..<colon].allSatisfy({ isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return "no scheme" }
        let scheme = String(decoding: u[0..<colon], as: UTF8.self).lowercased()
        guard scheme == "sip" || scheme == "sips" else { return nil }   // other schemes: RequestChecks (416)

        let rest = u[(colon + 1)...]
        // The userinfo may hold `?` `;` `:` (RFC 4475 §3.1.1.2, §3.1.1.9); it ends at the `@`.
        var hostStart = rest.startIndex
        if let at = rest.firstIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
        // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
        if rest[hostStart...].contains(UInt8(ascii: "?")) { return "headers are not allowed in a Request-URI" }
        var hostEnd = hostStart
        while hostEnd < rest.endIndex, rest[hostEnd] != UInt8(ascii: ";") { hostEnd += 1 }
        let hostport = rest[hostStart..<hostEnd]
        guard !hostport.isEmpty else { return "no host" }
        var portPart: ArraySlice<UInt8>?
        if hostport.first == UInt8(ascii: "[") {
            // IPv6reference (RFC 3261 §25.1, RFC 5118 §4.3): the port, if any, is outside the brackets.
            guard let close = hostport.firstIndex(of: UInt8(ascii: "]")), close > hostport.startIndex + 1 else { return "unclosed [" }
            let after = hostport[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return "junk after IPv6 reference" }
                portPart = after.dropFirst()
            }
        } else {
            let colons = hostport.filter { $0 == UInt8(ascii: ":") }.count
            // RFC 5118 §4.2: an IPv6 address must be in brackets.
            if colons > 1 { return "IPv6 address without brackets" }
            if colons == 1, let c = hostport.firstIndex(of: UInt8(ascii: ":")) {
                if c == hostport.startIndex { return "no host" }
                portPart = hostport[(c + 1)...]
            }
        }
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let p = Int(String(decoding: portPart, as: UTF8.self)), p <= 65535 else { return "bad port" }
        }
        return nil
    }

    private static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
}
