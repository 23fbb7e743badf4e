import SIPMessage

/// Responses sent without a transaction (RFC 3261 §8.2.7 stateless UAS behaviour).
public enum StatelessResponse {
    /// RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq copied from `request`, plus a To tag.
    /// The tag is derived from the request (§8.2.6.2: a stateless UAS must give a
    /// retransmission the same tag) with a per-process key, so it reveals nothing. No Server
    /// header: a stranger gets no banner, whatever `server-header` says.
    public static func forbidden(to request: SIPRequest) -> SIPResponse {
        var response = SIPResponse(to: request, statusCode: 403, toTag: request.to.tag == nil ? tag(for: request) : nil)
        response.reasonPhrase = "Forbidden"
        return response
    }

    private static let key: UInt64 = UInt64.random(in: 1...UInt64.max)

    /// FNV-1a over Call-ID, From tag and the top branch, keyed; 16 hex digits.
    static func tag(for request: SIPRequest) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ key
        func mix(_ s: String) {
            for byte in s.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            hash ^= 0xff
            hash &*= 0x0000_0100_0000_01b3
        }
        mix(request.callID)
        mix(request.from.tag ?? "")
        mix(request.topVia?.branch ?? "")
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
