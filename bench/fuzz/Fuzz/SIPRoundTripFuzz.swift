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
            finding("serialised message refused (\(e.status) \(e.reason)):\n\(printable(wire))")
        }
        agree(first, second, wire)
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
