/// `registrar:` in the daemon's configuration (defaults in parentheses).
public struct RegistrarConfiguration: Sendable, Equatable {
    /// The digest realm (`switchboard`). HA1 digests are computed with it: changing it
    /// means setting every agent's password again.
    public var realm = "switchboard"
    /// When set, a REGISTER's Request-URI host must be this domain (else 403); nil: any.
    public var domain: String?
    /// Algorithms offered, in this order (`[SHA-256]`; `auth: { md5: true }` appends MD5 for
    /// old phones). RFC 8760 §2.4: keep SHA-256 first.
    public var algorithms: [DigestAlgorithm] = [.sha256]
    /// Expiry bounds in seconds (RFC 3261 §10.2.8, §10.3): below `minExpires` gets 423 with
    /// Min-Expires (60); above `maxExpires` is shortened (3600); none given: `defaultExpires` (3600).
    public var minExpires = 60
    public var maxExpires = 3600
    public var defaultExpires = 3600
    /// Contacts one agent may hold (10); a new one beyond it replaces the oldest.
    public var maxContactsPerAgent = 10
    /// How long a nonce is good for (300 s); after that the client gets `stale=true`.
    public var nonceLifetime: Duration = .seconds(300)
    /// Brute-force limits (see `FailureLimiter`).
    public var failures = FailureLimiter.Configuration()

    public init() {}
}
