/// One `WWW-Authenticate` value (RFC 7616 §3.3, RFC 8760 §2.3): a 401 carries one per
/// algorithm offered, SHA-256 first, so phones that know it pick it (RFC 8760 §2.4).
public struct DigestChallenge: Sendable, Equatable {
    public var realm: String
    public var nonce: String
    public var algorithm: DigestAlgorithm
    public var opaque: String?
    /// The client's nonce expired (its credentials were otherwise right): retry silently
    /// with the new nonce, without asking the user (RFC 7616 §3.3).
    public var stale: Bool

    public init(realm: String, nonce: String, algorithm: DigestAlgorithm, opaque: String? = nil, stale: Bool = false) {
        self.realm = realm
        self.nonce = nonce
        self.algorithm = algorithm
        self.opaque = opaque
        self.stale = stale
    }

    public var headerValue: String {
        var s = "Digest realm=\"\(realm)\", nonce=\"\(nonce)\", algorithm=\(algorithm.rawValue), qop=\"auth\""
        if let opaque { s += ", opaque=\"\(opaque)\"" }
        if stale { s += ", stale=true" }
        return s
    }
}
