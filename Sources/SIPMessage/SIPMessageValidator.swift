/// What the validator learned from the raw pass, handed on to the libosip2 stage.
struct SIPValidatedMessage {
    var method: String = ""
    var requestURI: String = ""
    var statusCode = 0
    var reasonPhrase = ""
    var cSeqNumber: UInt32 = 0
    var cSeqMethod = ""
    var maxForwards: Int?
    /// Body is `bytes[bodyStart..<bodyEnd]`.
    var bodyEnd = 0
}

/// Our checks on top of libosip2, which accepts too much (RFC 4475 §3.1.2 cases it lets
/// through, see shared/design.md). Pure Swift over the raw header values; no C here.
enum SIPMessageValidator {
    static func validate(_ raw: SIPRawMessage, byteCount: Int, limits: SIPLimits,
                         framing: SIPFraming) -> Result<SIPValidatedMessage, SIPParseError> {
        var v = SIPValidatedMessage()
        if raw.tooManyHeaders { return .failure(raw.error(513, "More than \(limits.maxHeaderCount) header lines")) }
        if raw.hasBareCR { return .failure(raw.error(400, "CR without LF in the header section")) }
        if let line = raw.malformedLine { return .failure(raw.error(400, "Malformed header line: \(line.prefix(40))")) }
        // Written back from Swift strings, such a value would change (U+FFFD) on the way out.
        if let name = raw.nonTextHeader { return .failure(raw.error(400, "\(name.prefix(40)): not UTF-8 text")) }

        // Start line (RFC 3261 §7.1, §7.2).
        if raw.isResponse {
            if let e = checkStatusLine(raw, &v) { return .failure(e) }
        } else if let e = checkRequestLine(raw, &v) {
            return .failure(e)
        }

        // Header presence and multiplicity (RFC 3261 §8.1.1, §7.3.1: only list headers may repeat).
        var counts = HeaderCounts()
        var viaCount = 0
        for h in raw.headers {
            switch h.kind {
            case .via:
                counts.via += 1
                let shape = listShape(h.value)
                viaCount += 1 + shape.commas
                if viaCount > limits.maxViaCount { return .failure(raw.error(513, "More than \(limits.maxViaCount) Via entries")) }
                if shape.emptyElement { return .failure(raw.error(400, "Empty element in Via")) }
            case .from: counts.from += 1
            case .to: counts.to += 1
            case .callID:
                counts.callID += 1
                if h.value.isEmpty || h.value.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
                    return .failure(raw.error(400, "Malformed Call-ID"))
                }
            case .cSeq: counts.cSeq += 1
            case .maxForwards: counts.maxForwards += 1
            case .contentLength: counts.contentLength += 1
            case .contentType: counts.contentType += 1
            case .contact:
                if h.value != "*", listShape(h.value).emptyElement { return .failure(raw.error(400, "Empty element in Contact")) }
            default: break
            }
        }
        if counts.via == 0 { return .failure(raw.error(400, "Missing Via header")) }
        if counts.from == 0 { return .failure(raw.error(400, "Missing From header")) }
        if counts.to == 0 { return .failure(raw.error(400, "Missing To header")) }
        if counts.callID == 0 { return .failure(raw.error(400, "Missing Call-ID header")) }
        if counts.cSeq == 0 { return .failure(raw.error(400, "Missing CSeq header")) }
        if counts.from > 1 { return .failure(raw.error(400, "More than one From header")) }
        if counts.to > 1 { return .failure(raw.error(400, "More than one To header")) }
        if counts.callID > 1 { return .failure(raw.error(400, "More than one Call-ID header")) }
        if counts.cSeq > 1 { return .failure(raw.error(400, "More than one CSeq header")) }
        if counts.maxForwards > 1 { return .failure(raw.error(400, "More than one Max-Forwards header")) }
        if counts.contentLength > 1 { return .failure(raw.error(400, "More than one Content-Length header")) }
        // Not a list (RFC 3261 §7.3.1, §20.15). We keep the last one, while libosip2 is shown
        // none of them once one says multipart (SIPMessageParser.hideContentType): a second
        // one would escape libosip2's check and come back alone (found by bench/fuzz).
        if counts.contentType > 1 { return .failure(raw.error(400, "More than one Content-Type header")) }
        // From/To/Contact/Route syntax is checked where they are parsed (NameAddressSyntax).

        // CSeq (RFC 3261 §20.16, §8.1.1.5).
        if let e = checkCSeq(raw, limits: limits, &v) { return .failure(e) }

        // Max-Forwards (RFC 3261 §20.22): 1*DIGIT, and 255 is the most anyone sends.
        if !raw.isResponse, let mf = raw.first(.maxForwards) {
            guard let n = decimal(mf), n <= 255 else { return .failure(raw.error(400, "Max-Forwards out of range")) }
            v.maxForwards = n
        }

        // Content-Length and framing (RFC 3261 §18.3, §20.14; RFC 4475 §3.1.1.8, §3.1.2.2-3).
        let available = byteCount - raw.bodyStart
        if let cl = raw.first(.contentLength) {
            guard let n = decimal(cl) else { return .failure(raw.error(400, "Malformed Content-Length")) }
            if n > available { return .failure(raw.error(400, "Content-Length larger than the body received")) }
            v.bodyEnd = raw.bodyStart + n
        } else if framing == .stream {
            return .failure(raw.error(400, "Missing Content-Length on a stream transport"))
        } else {
            v.bodyEnd = byteCount
        }
        return .success(v)
    }

    private struct HeaderCounts {
        var via = 0, from = 0, to = 0, callID = 0, cSeq = 0, maxForwards = 0, contentLength = 0, contentType = 0
    }

    // MARK: start line

    private static func isVersion20<C: Collection<UInt8>>(_ s: C) -> Bool {
        guard s.count == 7 else { return false }
        var i = s.startIndex
        for (k, c) in "SIP/2.0".utf8.enumerated() {
            let b = s[i]
            if (k < 3 ? b & 0xDF : b) != c { return false }
            i = s.index(after: i)
        }
        return true
    }

    /// `Method SP Request-URI SP SIP-Version`, single spaces only (RFC 3261 §7.1; RFC 4475
    /// §3.1.2.9-10 allow refusing extra spaces, which we do so they are never forwarded).
    private static func checkRequestLine(_ raw: SIPRawMessage, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        var line = raw.startLine
        return line.withUTF8 { u -> SIPParseError? in
            // Up to three parts split at single spaces; a fourth space means too many parts.
            var cuts = (-1, -1, -1)
            var nSpaces = 0
            for i in 0..<u.count where u[i] == 0x20 {
                nSpaces += 1
                if nSpaces == 1 { cuts.0 = i } else if nSpaces == 2 { cuts.1 = i } else { cuts.2 = i; break }
            }
            let parts: [Range<Int>]
            switch nSpaces {
            case 0: parts = [0..<u.count]
            case 1: parts = [0..<cuts.0, (cuts.0 + 1)..<u.count]
            case 2: parts = [0..<cuts.0, (cuts.0 + 1)..<cuts.1, (cuts.1 + 1)..<u.count]
            default: parts = [0..<cuts.0, (cuts.0 + 1)..<cuts.1, (cuts.1 + 1)..<cuts.2, (cuts.2 + 1)..<u.count]
            }
            let hasEmpty = parts.contains { $0.isEmpty }
            if let last = parts.last, parts.count >= 2, !hasEmpty {
                let l = u[last]
                if l.count >= 4, l[l.startIndex] & 0xDF == UInt8(ascii: "S"), l[l.startIndex + 1] & 0xDF == UInt8(ascii: "I"),
                   l[l.startIndex + 2] & 0xDF == UInt8(ascii: "P"), l[l.startIndex + 3] == UInt8(ascii: "/"), !isVersion20(l) {
                    return raw.error(505, "SIP version \(String(decoding: l, as: UTF8.self)) not supported")
                }
            }
            guard parts.count == 3, !hasEmpty, isVersion20(u[parts[2]]) else { return raw.error(400, "Malformed request line") }
            guard u[parts[0]].allSatisfy(isTokenChar) else { return raw.error(400, "Malformed method") }
            let uri = String(decoding: u[parts[1]], as: UTF8.self)
            if let why = RequestURISyntax.check(Substring(uri)) { return raw.error(400, "Request-URI: \(why)") }
            v.method = String(decoding: u[parts[0]], as: UTF8.self)
            v.requestURI = uri
            return nil
        }
    }

    /// `SIP-Version SP Status-Code SP Reason-Phrase`; the code is 3DIGIT in 100…699
    /// (RFC 3261 §7.2, §21). A bad response is never answered, only dropped.
    private static func checkStatusLine(_ raw: SIPRawMessage, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        var line = raw.startLine
        return line.withUTF8 { u -> SIPParseError? in
            guard let sp = u.firstIndex(of: 0x20) else { return raw.error(400, "Malformed status line") }
            guard isVersion20(u[0..<sp]) else {
                return raw.error(505, "SIP version \(String(decoding: u[0..<sp], as: UTF8.self)) not supported")
            }
            // Exactly three digits, then SP or the end of the line (tolerated: no reason, no SP).
            let c = sp + 1
            guard c + 3 <= u.count, (c + 3 == u.count || u[c + 3] == 0x20),
                  u[c..<(c + 3)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return raw.error(400, "Status code out of range")
            }
            let n = Int(u[c] - 0x30) * 100 + Int(u[c + 1] - 0x30) * 10 + Int(u[c + 2] - 0x30)
            guard (100...699).contains(n) else { return raw.error(400, "Status code out of range") }
            v.statusCode = n
            v.reasonPhrase = c + 4 <= u.count ? String(decoding: u[(c + 4)...], as: UTF8.self) : ""
            return nil
        }
    }

    // MARK: headers

    private static func checkCSeq(_ raw: SIPRawMessage, limits: SIPLimits, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        guard var value = raw.first(.cSeq) else { return raw.error(400, "Missing CSeq header") }
        return value.withUTF8 { u in checkCSeq(u, raw, limits: limits, &v) }
    }

    private static func checkCSeq(_ u: UnsafeBufferPointer<UInt8>, _ raw: SIPRawMessage, limits: SIPLimits,
                                  _ v: inout SIPValidatedMessage) -> SIPParseError? {
        var i = 0
        var number: UInt64 = 0
        while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
            number = number * 10 + UInt64(u[i] - 0x30)
            if number > UInt64(limits.maxCSeq) { return raw.error(400, "CSeq number too large") }
            i += 1
        }
        guard i > 0, i < u.count, u[i] == 0x20 || u[i] == 0x09 else { return raw.error(400, "Malformed CSeq") }
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        let method = u[i...]
        guard !method.isEmpty, method.allSatisfy(isTokenChar) else { return raw.error(400, "Malformed CSeq method") }
        v.cSeqNumber = UInt32(number)
        v.cSeqMethod = String(decoding: method, as: UTF8.self)
        if !raw.isResponse, v.cSeqMethod != v.method {
            // RFC 4475 §3.1.2.18: for a method we do not know, 501 is the better answer.
            let known = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK",
                         "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH"].contains(v.method)
            return raw.error(known ? 400 : 501, "CSeq method \(v.cSeqMethod) does not match \(v.method)")
        }
        return nil
    }

    /// 1*DIGIT as an Int, nil for anything else (signs, overflow, empty).
    static func decimal(_ s: String) -> Int? {
        var n = 0
        var any = false
        for c in s.utf8 {
            guard c >= 0x30, c <= 0x39 else { return nil }
            any = true
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(c - 0x30))
            if o1 || o2 { return nil }
            n = a
        }
        return any ? n : nil
    }

    /// Top-level commas (list separators, RFC 3261 §7.3.1) and whether an element or parameter
    /// is empty (`;;`, `,,`, `;,`, a leading or trailing separator: RFC 4475 §3.1.2.1, badinv01),
    /// in one pass outside quotes and `<>`.
    static func listShape(_ s: String) -> (commas: Int, emptyElement: Bool) {
        var s = s
        return s.withUTF8 { u in
            var q = QuoteTracker()
            var commas = 0
            var empty = false
            var lastSeparator: UInt8? = UInt8(ascii: ",")
            for c in u {
                let top = q.feed(c)
                if c == 0x20 || c == 0x09 { continue }
                if top, c == UInt8(ascii: ";") || c == UInt8(ascii: ",") {
                    if c == UInt8(ascii: ",") { commas += 1 }
                    if lastSeparator != nil { empty = true }
                    lastSeparator = c
                } else {
                    lastSeparator = nil
                }
            }
            return (commas, empty || lastSeparator != nil)
        }
    }

    /// RFC 3261 §25.1 token.
    @inline(__always) static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"), UInt8(ascii: "'"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

/// Tracks quoted strings (with quoted-pairs) and `<>`; `feed` says whether a byte is at top level.
struct QuoteTracker {
    var inQuotes = false
    var escaped = false
    var inAngle = false

    mutating func feed(_ c: UInt8) -> Bool {
        if escaped { escaped = false; return false }
        if inQuotes {
            if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inQuotes = false }
            return false
        }
        if inAngle {
            if c == UInt8(ascii: ">") { inAngle = false }
            return false
        }
        if c == UInt8(ascii: "\"") { inQuotes = true; return false }
        if c == UInt8(ascii: "<") { inAngle = true; return false }
        return true
    }
}
