import Registrar

/// The `Switchboard-Signature` header of a webhook request:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (docs/tracking.md).
/// The timestamp is inside the signed text, so a receiver that refuses old timestamps
/// (5 minutes is usual) cannot be fed a recorded request later.
public enum WebhookSignature {
    public static let header = "Switchboard-Signature"

    public static func sign(body: [UInt8], timestamp: Int, secret: WebhookSecret) -> String {
        "t=\(timestamp),v1=\(v1(body: body, timestamp: timestamp, secret: secret))"
    }

    public static func v1(body: [UInt8], timestamp: Int, secret: WebhookSecret) -> String {
        DigestHash.hex(DigestHash.hmacSHA256(key: secret.bytes, Array("\(timestamp).".utf8) + body))
    }

    /// What a receiver does: parse the header, recompute, compare in constant time, and
    /// refuse a timestamp further than `tolerance` seconds from `now`.
    public static func verify(header value: String, body: [UInt8], secret: WebhookSecret, now: Int, tolerance: Int = 300) -> Bool {
        var timestamp: Int?
        var signatures: [String] = []
        for part in value.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            if kv[0] == "t" { timestamp = Int(kv[1]) } else if kv[0] == "v1" { signatures.append(kv[1]) }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance else { return false }
        let expected = v1(body: body, timestamp: timestamp, secret: secret)
        return signatures.contains { DigestHash.constantTimeEquals($0, expected) }
    }
}
