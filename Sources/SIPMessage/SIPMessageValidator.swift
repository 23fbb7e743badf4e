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
        if let line = raw.malformedLine { return .failure(raw.error(400, "Malformed header line: \(line.prefix(40))")) }

        // Start line (RFC 3261 §7.1, §7.2).
        if raw.isResponse {
            if let e = checkStatusLine(raw, &v) { return .failure(e) }
        } else if let e = checkRequestLine(raw, &v) {
            return .failure(e)
        }

        // Header presence and multiplicity (RFC 3261 §8.1.1, §7.3.1: only list headers may repeat).
        var counts = [Int](repeating: 0, count: 12)
        var viaCount = 0
        for h in raw.headers {
            counts[index(h.kind)] += 1
            if h.kind == .via {
                viaCount += 1 + topLevelCommas(h.value)
                if viaCount > limits.maxViaCount { return .failure(raw.error(513, "More than \(limits.maxViaCount) Via entries")) }
            }
        }
        for (kind, name) in [(SIPHeaderKind.via, "Via"), (.from, "From"), (.to, "To"), (.callID, "Call-ID"), (.cSeq, "CSeq")]
        where counts[index(kind)] == 0 {
            return .failure(raw.error(400, "Missing \(name) header"))
        }
        for (kind, name) in [(SIPHeaderKind.from, "From"), (.to, "To"), (.callID, "Call-ID"), (.cSeq, "CSeq"),
                             (.maxForwards, "Max-Forwards"), (.contentLength, "Content-Length")]
        where counts[index(kind)] > 1 {
            return .failure(raw.error(400, "More than one \(name) header"))
        }

        // Header value syntax libosip2 lets through.
        for h in raw.headers {
            switch h.kind {
            case .via:
                if hasEmptyElement(h.value) { return .failure(raw.error(400, "Empty element in Via")) }
            case .from, .to:
                if let why = NameAddressSyntax.check(h.value, allowList: false) {
                    return .failure(raw.error(400, "\(h.kind == .from ? "From" : "To"): \(why)"))
                }
            case .contact:
                if h.value == "*" { break }
                if hasEmptyElement(h.value) { return .failure(raw.error(400, "Empty element in Contact")) }
                if let why = NameAddressSyntax.check(h.value, allowList: true) {
                    return .failure(raw.error(400, "Contact: \(why)"))
                }
            case .route, .recordRoute:
                if let why = NameAddressSyntax.check(h.value, allowList: true) {
                    return .failure(raw.error(400, "Route: \(why)"))
                }
            case .callID:
                if h.value.isEmpty || h.value.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
                    return .failure(raw.error(400, "Malformed Call-ID"))
                }
            default: break
            }
        }

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

    private static func index(_ k: SIPHeaderKind) -> Int {
        switch k {
        case .via: 0
        case .from: 1
        case .to: 2
        case .callID: 3
        case .cSeq: 4
        case .maxForwards: 5
        case .contact: 6
        case .route: 7
        case .recordRoute: 8
        case .contentType: 9
        case .contentLength: 10
        case .other: 11
        }
    }

    // MARK: start line

    private static func isVersion20(_ s: Substring) -> Bool {
        s.utf8.count == 7 && s.uppercased() == "SIP/2.0"
    }

    /// `Method SP Request-URI SP SIP-Version`, single spaces only (RFC 3261 §7.1; RFC 4475
    /// §3.1.2.9-10 allow refusing extra spaces, which we do so they are never forwarded).
    private static func checkRequestLine(_ raw: SIPRawMessage, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        let parts = raw.startLine.split(separator: " ", omittingEmptySubsequences: false)
        if let last = parts.last, parts.count >= 2, last.uppercased().hasPrefix("SIP/"), !isVersion20(last),
           !parts.contains(where: \.isEmpty) {
            return raw.error(505, "SIP version \(last) not supported")
        }
        guard parts.count == 3, !parts.contains(where: \.isEmpty) else {
            return raw.error(400, "Malformed request line")
        }
        guard isVersion20(parts[2]) else { return raw.error(400, "Malformed request line") }
        guard parts[0].utf8.allSatisfy(isTokenChar) else { return raw.error(400, "Malformed method") }
        if let why = RequestURISyntax.check(parts[1]) { return raw.error(400, "Request-URI: \(why)") }
        v.method = String(parts[0])
        v.requestURI = String(parts[1])
        return nil
    }

    /// `SIP-Version SP Status-Code SP Reason-Phrase`; the code is 3DIGIT in 100…699
    /// (RFC 3261 §7.2, §21). A bad response is never answered, only dropped.
    private static func checkStatusLine(_ raw: SIPRawMessage, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        let line = raw.startLine
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return raw.error(400, "Malformed status line") }
        guard isVersion20(parts[0]) else { return raw.error(505, "SIP version \(parts[0]) not supported") }
        let code = parts[1]
        guard code.utf8.count == 3, let n = Int(code), (100...699).contains(n) else {
            return raw.error(400, "Status code out of range")
        }
        v.statusCode = n
        v.reasonPhrase = parts.count == 3 ? String(parts[2]) : ""
        return nil
    }

    // MARK: headers

    private static func checkCSeq(_ raw: SIPRawMessage, limits: SIPLimits, _ v: inout SIPValidatedMessage) -> SIPParseError? {
        guard let value = raw.first(.cSeq) else { return raw.error(400, "Missing CSeq header") }
        let u = Array(value.utf8)
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

    /// Commas outside quotes and `<>` (list separators, RFC 3261 §7.3.1).
    static func topLevelCommas(_ s: String) -> Int {
        var n = 0
        var q = QuoteTracker()
        for c in s.utf8 where q.feed(c) && c == UInt8(ascii: ",") { n += 1 }
        return n
    }

    /// `;;`, `,,`, `;,`, or a leading/trailing separator, outside quotes and `<>`
    /// (RFC 4475 §3.1.2.1, badinv01).
    static func hasEmptyElement(_ s: String) -> Bool {
        var q = QuoteTracker()
        var lastSeparator: UInt8? = UInt8(ascii: ",")   // the value starts like after a comma
        for c in s.utf8 {
            let top = q.feed(c)
            if c == 0x20 || c == 0x09 { continue }
            if top, c == UInt8(ascii: ";") || c == UInt8(ascii: ",") {
                if lastSeparator != nil { return true }
                lastSeparator = c
            } else {
                lastSeparator = nil
            }
        }
        return lastSeparator != nil
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
