/// RFC 3261 §25.1 text in a header value: `TEXT-UTF8char` (%x21-7E or a UTF-8 sequence),
/// LWS (SP, HTAB), and inside a quoted-string the quoted-pair `\` followed by any ASCII byte
/// but CR and LF (so RFC 4475 §3.1.1.2 may put BEL, NUL and DEL in a display name).
///
/// Why we check it: header values become Swift strings, and a byte that is not valid UTF-8
/// would become U+FFFD there, so the message we wrote back would differ from the one we
/// received, and libosip2 (ours and a peer's) refuses it. UTF-8 is checked as RFC 3629 has
/// it (no overlong forms, no surrogates, nothing past U+10FFFF): RFC 3261's own grammar is
/// older and looser, but only what decodes losslessly can be written back as it came.
enum TextUTF8 {
    static func isValid(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = u.count
        var inQuotes = false
        while i < n {
            let c = u[i]
            if c >= 0x20, c < 0x7F {
                if c == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if inQuotes, c == UInt8(ascii: "\\"), i + 1 < n, u[i + 1] < 0x80 {
                    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                    if u[i + 1] == 0x0A || u[i + 1] == 0x0D { return false }
                    i += 1
                }
                i += 1
                continue
            }
            if c == 0x09 { i += 1; continue }
            guard c >= 0x80, let width = sequenceWidth(u, at: i) else { return false }
            i += width
        }
        return true
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (RFC 3629 §4), or nil.
    private static func sequenceWidth(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let c = u[i]
        let width: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // allowed range of the second byte
        switch c {
        case 0xC2...0xDF: width = 2
        case 0xE0: width = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: width = 3
        case 0xED: width = 3; high = 0x9F          // no UTF-16 surrogates
        case 0xF0: width = 4; low = 0x90
        case 0xF1...0xF3: width = 4
        case 0xF4: width = 4; high = 0x8F          // nothing past U+10FFFF
        default: return nil                        // continuation byte, C0, C1, F5…FF
        }
        guard i + width <= u.count, (low...high).contains(u[i + 1]) else { return nil }
        for k in 2..<width where !(0x80...0xBF).contains(u[i + k]) { return nil }
        return width
    }
}
