/// Why a message was refused, with what is needed to answer it (RFC 3261 §8.2, §21.4).
///
/// The raw header values are pulled from the bytes best-effort, before and independently of
/// libosip2, so even a message libosip2 rejects can get its error response.
public struct SIPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Status of the error response: 400, 505, 513, 501 …
    public var status: Int
    /// Human-readable cause, for logs and the `Warning` header.
    public var reason: String
    /// The input was a response. Malformed responses are dropped, never answered (RFC 3261 §18.1.2).
    public var isResponse: Bool
    /// Every Via header value, top-most first, as received (unfolded).
    public var vias: [String]
    public var from: String?
    public var to: String?
    public var callID: String?
    public var cSeq: String?

    public init(status: Int, reason: String, isResponse: Bool, vias: [String] = [], from: String? = nil,
                to: String? = nil, callID: String? = nil, cSeq: String? = nil) {
        self.status = status
        self.reason = reason
        self.isResponse = isResponse
        self.vias = vias
        self.from = from
        self.to = to
        self.callID = callID
        self.cSeq = cSeq
    }

    public var description: String { "\(status) \(reason)\(isResponse ? " (response, dropped)" : "")" }

    /// A stateless error response (RFC 3261 §8.2.6): Via, From, To (with our tag), Call-ID and
    /// CSeq copied from the request, a `Warning: 399` carrying `reason` (§20.43), no body.
    /// nil when the input was a response, or no Via was found: there is nowhere to send it.
    public func responseBytes(toTag: String) -> [UInt8]? {
        if isResponse || vias.isEmpty { return nil }
        var s = "SIP/2.0 \(status) \(SIPResponse.defaultReason(for: status))\r\n"
        for v in vias { s += "Via: \(v)\r\n" }
        if let from { s += "From: \(from)\r\n" }
        if let to {
            s += "To: \(to)"
            if !SIPParseError.hasTag(to) && !toTag.isEmpty { s += ";tag=\(toTag)" }
            s += "\r\n"
        }
        if let callID { s += "Call-ID: \(callID)\r\n" }
        if let cSeq { s += "CSeq: \(cSeq)\r\n" }
        // warn-text is a quoted-string: keep printable ASCII without quotes or backslashes.
        let text = String(reason.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
        s += "Warning: 399 switchboard \"\(text)\"\r\n"
        s += "Content-Length: 0\r\n\r\n"
        return Array(s.utf8)
    }

    /// Whether a To value already has a `tag` parameter outside quotes and `<>`.
    static func hasTag(_ value: String) -> Bool {
        var inQuotes = false, inAngle = false, escaped = false
        let u = Array(value.utf8)
        var i = 0
        while i < u.count {
            let c = u[i]
            if escaped { escaped = false } else if inQuotes {
                if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inQuotes = false }
            } else if c == UInt8(ascii: "\"") { inQuotes = true }
            else if c == UInt8(ascii: "<") { inAngle = true }
            else if c == UInt8(ascii: ">") { inAngle = false }
            else if c == UInt8(ascii: ";") && !inAngle {
                var j = i + 1
                while j < u.count, u[j] == 0x20 || u[j] == 0x09 { j += 1 }
                if j + 3 <= u.count, u[j] | 0x20 == UInt8(ascii: "t"), u[j + 1] | 0x20 == UInt8(ascii: "a"),
                   u[j + 2] | 0x20 == UInt8(ascii: "g") { return true }
            }
            i += 1
        }
        return false
    }
}
