/// The header kinds we look at before libosip2 does (matched case-insensitively,
/// compact forms of RFC 3261 §7.3.3 included).
enum SIPHeaderKind: Equatable {
    case via, from, to, callID, cSeq, maxForwards, contact, route, recordRoute
    case contentType, contentLength, other

    /// Classifies a header name without allocating.
    static func classify(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SIPHeaderKind {
        @inline(__always) func eq(_ lit: StaticString) -> Bool {
            guard end - start == lit.utf8CodeUnitCount else { return false }
            let l = lit.utf8Start
            for k in 0..<(end - start) where p[start + k] | 0x20 != l[k] { return false }
            return true
        }
        switch end - start {
        case 1:
            switch p[start] | 0x20 {
            case UInt8(ascii: "v"): return .via
            case UInt8(ascii: "f"): return .from
            case UInt8(ascii: "t"): return .to
            case UInt8(ascii: "i"): return .callID
            case UInt8(ascii: "m"): return .contact
            case UInt8(ascii: "c"): return .contentType
            case UInt8(ascii: "l"): return .contentLength
            default: return .other
            }
        case 2: return eq("to") ? .to : .other
        case 3: return eq("via") ? .via : .other
        case 4: return eq("from") ? .from : (eq("cseq") ? .cSeq : .other)
        case 5: return eq("route") ? .route : .other
        case 7: return eq("call-id") ? .callID : (eq("contact") ? .contact : .other)
        case 12: return eq("max-forwards") ? .maxForwards : (eq("record-route") ? .recordRoute : (eq("content-type") ? .contentType : .other))
        case 14: return eq("content-length") ? .contentLength : .other
        default: return .other
        }
    }
}

/// One header line, unfolded (RFC 3261 §7.3.1: a line starting with whitespace continues the
/// previous one), value trimmed.
struct SIPRawHeader {
    var kind: SIPHeaderKind
    /// Name as received (only kept for `.other`; typed headers are canonicalised on output).
    var name: String
    var value: String
}

/// A tolerant first pass over the bytes: start line, header lines, where the body starts.
/// It never fails: problems are recorded and judged by `SIPMessageValidator`, and the values
/// found so far feed the error response.
struct SIPRawMessage {
    var startLine: String = ""
    var isResponse = false
    var headers: [SIPRawHeader] = []
    /// A header line without a colon, or an empty name.
    var malformedLine: String?
    var tooManyHeaders = false
    /// The empty line closing the header section was seen.
    var headerTerminated = false
    /// Offset of the start line (after any leading CRLFs, RFC 3261 §7.5).
    var messageStart = 0
    /// Offset of the first header line (just past the start line).
    var headersStart = 0
    /// A NUL byte occurs in the header section (legal inside quoted strings, RFC 4475 §3.1.1.2).
    var hasNUL = false
    /// A CR not followed by LF in the header section: RFC 3261 §7 lines end in CRLF, and a
    /// lone CR would be read as a line end by some parsers and not by others.
    var hasBareCR = false
    /// The name of the first header whose value is not RFC 3261 §25.1 text (`TextUTF8`).
    var nonTextHeader: String?
    /// Offset just past the empty line (or the end of the bytes).
    var bodyStart = 0

    init(_ p: UnsafeBufferPointer<UInt8>, maxHeaderCount: Int) {
        let n = p.count
        var i = 0
        // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives on streams).
        while i < n, p[i] == 0x0D || p[i] == 0x0A { i += 1 }
        messageStart = i

        /// End of the line at `from` (excluding CR LF) and the start of the next line.
        @inline(__always) func lineEnd(_ from: Int) -> (end: Int, next: Int, complete: Bool) {
            var j = from
            while j < n, p[j] != 0x0A { j += 1 }
            if j == n { return (n, n, false) }
            let end = (j > from && p[j - 1] == 0x0D) ? j - 1 : j
            return (end, j + 1, true)
        }
        @inline(__always) func string(_ s: Int, _ e: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self)
        }

        let first = lineEnd(i)
        startLine = string(i, first.end)
        isResponse = first.end - i >= 4 && p[i] | 0x20 == UInt8(ascii: "s") && p[i + 1] | 0x20 == UInt8(ascii: "i")
            && p[i + 2] | 0x20 == UInt8(ascii: "p") && p[i + 3] == UInt8(ascii: "/")
        i = first.next
        headersStart = i
        headers.reserveCapacity(24)

        var cursor = i
        while cursor < n {
            let line = lineEnd(cursor)
            if line.end == cursor {
                // Empty line: end of the header section.
                headerTerminated = line.complete
                cursor = line.next
                break
            }
            // Gather continuation lines (RFC 3261 §7.3.1).
            var segments: [(Int, Int)]? = nil
            var next = line.next
            while next < n, p[next] == 0x20 || p[next] == 0x09 {
                let cont = lineEnd(next)
                if segments == nil { segments = [(cursor, line.end)] }
                segments!.append((next, cont.end))
                next = cont.next
            }
            defer { cursor = next }
            if headers.count >= maxHeaderCount { tooManyHeaders = true; continue }

            var colon = cursor
            while colon < line.end, p[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon == line.end {
                // The colon may sit on a continuation line ("Via  : ..." never does, but be safe).
                if malformedLine == nil { malformedLine = string(cursor, line.end) }
                continue
            }
            var nameEnd = colon
            while nameEnd > cursor, p[nameEnd - 1] == 0x20 || p[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            if nameEnd == cursor {
                if malformedLine == nil { malformedLine = string(cursor, line.end) }
                continue
            }
            // field-name = token (RFC 3261 §7.3.1, §25.1).
            var k = cursor
            while k < nameEnd, SIPMessageValidator.isTokenChar(p[k]) { k += 1 }
            if k < nameEnd {
                if malformedLine == nil { malformedLine = string(cursor, line.end) }
                continue
            }
            let kind = SIPHeaderKind.classify(p, cursor, nameEnd)
            let name = kind == .other ? string(cursor, nameEnd) : ""
            let value: String
            if let segments {
                var bytes: [UInt8] = []
                for (k, seg) in segments.enumerated() {
                    var s = k == 0 ? colon + 1 : seg.0
                    while s < seg.1, p[s] == 0x20 || p[s] == 0x09 { s += 1 }
                    var e = seg.1
                    while e > s, p[e - 1] == 0x20 || p[e - 1] == 0x09 { e -= 1 }
                    if s == e { continue }
                    if !bytes.isEmpty { bytes.append(0x20) }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[s..<e]))
                }
                if nonTextHeader == nil, !bytes.withUnsafeBufferPointer(TextUTF8.isValid) { nonTextHeader = string(cursor, nameEnd) }
                value = String(decoding: bytes, as: UTF8.self)
            } else {
                var s = colon + 1
                while s < line.end, p[s] == 0x20 || p[s] == 0x09 { s += 1 }
                var e = line.end
                while e > s, p[e - 1] == 0x20 || p[e - 1] == 0x09 { e -= 1 }
                if nonTextHeader == nil, !TextUTF8.isValid(UnsafeBufferPointer(rebasing: p[s..<e])) { nonTextHeader = string(cursor, nameEnd) }
                value = string(s, e)
            }
            headers.append(SIPRawHeader(kind: kind, name: name, value: value))
        }
        bodyStart = min(cursor, n)
        for k in messageStart..<bodyStart {
            if p[k] == 0 { hasNUL = true } else if p[k] == 0x0D, k + 1 >= bodyStart || p[k + 1] != 0x0A { hasBareCR = true }
        }
    }

    func first(_ kind: SIPHeaderKind) -> String? {
        for h in headers where h.kind == kind { return h.value }
        return nil
    }

    /// The best-effort values an error response needs.
    func error(_ status: Int, _ reason: String) -> SIPParseError {
        var vias: [String] = []
        var from: String?, to: String?, callID: String?, cSeq: String?
        for h in headers {
            switch h.kind {
            case .via: vias.append(h.value)
            case .from: if from == nil { from = h.value }
            case .to: if to == nil { to = h.value }
            case .callID: if callID == nil { callID = h.value }
            case .cSeq: if cSeq == nil { cSeq = h.value }
            default: break
            }
        }
        return SIPParseError(status: status, reason: reason, isResponse: isResponse, vias: vias, from: from,
                             to: to, callID: callID, cSeq: cSeq)
    }
}
