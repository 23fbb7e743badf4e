import SIPMessage

/// Parse (libosip2 + our validator) → if accepted, serialise → parse again. The second parse
/// must accept what we wrote and agree on the fields a transaction or dialog is keyed on
/// (RFC 3261 §17.2.3, §12): a disagreement means we would send something we do not mean.
enum SIPRoundTripFuzz {
    static let checks = RequestChecks()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard case .success(let first) = SIPMessageParser.parse(bytes) else { return }
        if case .request(let r) = first { _ = checks.check(r) }
        let wire = first.serialize()
        // Our Content-Length (and nothing else) may make the copy longer than the original.
        let roomier = SIPLimits(maxMessageSize: 65536 + 64, maxHeaderCount: 256 + 2)
        let second: SIPMessage
        switch SIPMessageParser.parse(wire, limits: roomier) {
        case .success(let m): second = m
        case .failure(let e):
            // Known and open (bench/README.md, Fuzzing): libosip2 5.3 refuses a one-character
            // host inside angle brackets (`To: <sip:u>`) but takes it bare (`To: sip:u`), and
            // we always write the bracketed form. Skipped so the run can find other things.
            if oneCharacterHost(first) { return }
            // Also open: a header value with a byte that is not printable UTF-8 text (a control,
            // invalid UTF-8) is accepted, then written back as U+FFFD, which libosip2 refuses
            // (bench/fuzz/findings/sip-open-header-invalid-utf8-content-type). Skipped likewise.
            if headerHasNonTextByte(bytes) { return }
            finding("serialised message refused (\(e.status) \(e.reason)):\n\(printable(wire))")
        }
        agree(first, second, wire)
    }

    /// Whether the header section (up to the first empty line) holds a byte outside printable
    /// ASCII, HTAB, CR and LF.
    static func headerHasNonTextByte(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previous: [UInt8] = []
        for b in bytes {
            if b == 0x0A, previous.suffix(3) == [0x0D, 0x0A, 0x0D] { return false }
            if !(b == 0x09 || b == 0x0A || b == 0x0D || (0x20..<0x7F).contains(b)) { return true }
            previous.append(b)
            if previous.count > 3 { previous.removeFirst() }
        }
        return false
    }

    static func oneCharacterHost(_ m: SIPMessage) -> Bool {
        var addresses = [m.from, m.to]
        switch m {
        case .request(let r): addresses += r.contacts + r.routes + r.recordRoutes
        case .response(let r): addresses += r.contacts + r.recordRoutes
        }
        return addresses.contains { $0.uri.opaque == nil && $0.uri.host.count == 1 }
    }

    static func agree(_ a: SIPMessage, _ b: SIPMessage, _ wire: [UInt8]) {
        func check<T: Equatable>(_ what: String, _ x: T, _ y: T) {
            if x != y { finding("round trip changed \(what): \(x) → \(y)\n\(printable(wire))") }
        }
        switch (a, b) {
        case (.request(let x), .request(let y)):
            check("method", x.method, y.method)
            check("Request-URI", x.uri.description, y.uri.description)
            check("Max-Forwards", x.maxForwards, y.maxForwards)
            check("Route count", x.routes.count, y.routes.count)
        case (.response(let x), .response(let y)):
            check("status", x.statusCode, y.statusCode)
        default:
            finding("round trip turned a request into a response or back\n\(printable(wire))")
        }
        check("Call-ID", a.callID, b.callID)
        check("CSeq", a.cSeq.description, b.cSeq.description)
        check("Via count", a.vias.count, b.vias.count)
        check("top Via branch", a.vias.first?.branch, b.vias.first?.branch)
        check("top Via sent-by", a.vias.first.map { "\($0.host):\($0.port ?? 0)" }, b.vias.first.map { "\($0.host):\($0.port ?? 0)" })
        check("From tag", a.from.tag, b.from.tag)
        check("To tag", a.to.tag, b.to.tag)
        check("From URI", a.from.uri.description, b.from.uri.description)
        check("To URI", a.to.uri.description, b.to.uri.description)
        check("body", a.body, b.body)
    }
}

/// The wire bytes with CR kept visible and every byte outside printable ASCII as \xHH.
func printable(_ bytes: [UInt8]) -> String {
    var out = ""
    for b in bytes {
        switch b {
        case 0x0A: out += "\n"
        case 0x0D: out += "\\r"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
        default: out += "\\x" + String(b, radix: 16, uppercase: true).leftPadded
        }
    }
    return out
}

private extension String {
    var leftPadded: String { count < 2 ? "0" + self : self }
}

extension SIPMessage {
    var cSeq: CSeq { switch self { case .request(let r): r.cSeq; case .response(let r): r.cSeq } }
    var vias: [Via] { switch self { case .request(let r): r.vias; case .response(let r): r.vias } }
    var from: NameAddress { switch self { case .request(let r): r.from; case .response(let r): r.from } }
    var to: NameAddress { switch self { case .request(let r): r.to; case .response(let r): r.to } }
    var body: [UInt8] { switch self { case .request(let r): r.body; case .response(let r): r.body } }
}
