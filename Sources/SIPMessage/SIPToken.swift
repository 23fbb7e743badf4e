/// The one generator of random SIP tokens: From/To tags (RFC 3261 §19.3: at least 32 bits
/// of randomness), and the random part of Via branches (§8.1.1.7, `TransactionBranch`).
/// Alphanumerics only, so a token is a valid `token` wherever the grammar allows one.
public enum SIPToken {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// `length` random alphanumerics (≈ 5.95 bits each).
    public static func random<G: RandomNumberGenerator>(length: Int, using rng: inout G) -> String {
        var s = ""
        s.reserveCapacity(length)
        for _ in 0..<length { s.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
        return s
    }

    /// A fresh tag from the system's generator: 12 alphanumerics, ≈ 71 bits.
    public static func tag() -> String {
        var rng = SystemRandomNumberGenerator()
        return random(length: 12, using: &rng)
    }
}
