import SIPMessage

/// Via branch values for new client transactions (RFC 3261 §8.1.1.7).
public enum TransactionBranch {
    /// Every RFC 3261 branch starts with this cookie; a branch without it comes from an
    /// RFC 2543 element and is matched the old way (§17.2.3).
    public static let magicCookie = "z9hG4bK"

    /// `z9hG4bK` followed by 22 random alphanumerics (≈ 131 bits): unique in space and time.
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        return make(using: &rng)
    }

    public static func make<G: RandomNumberGenerator>(using rng: inout G) -> String {
        magicCookie + randomToken(length: 22, using: &rng)
    }

    /// A random token for tags (`SIPToken`, the one generator).
    public static func randomToken<G: RandomNumberGenerator>(length: Int, using rng: inout G) -> String {
        SIPToken.random(length: length, using: &rng)
    }
}
