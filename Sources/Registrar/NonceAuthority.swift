/// Issues and checks digest nonces without storing them (RFC 7616 §3.3, §5.4): a nonce is
/// the time it was issued, 8 random bytes, and an HMAC over both and the client's address
/// under a key made at start-up. So a nonce is only good from the address it was given to,
/// for `lifetime`; one from before a restart, or forged, fails the HMAC. The only state is
/// the highest nonce count seen per nonce in use, so a replayed or reordered request (same
/// or lower `nc`) is refused; it is bounded and pruned as nonces expire.
///
/// Not thread-safe: it lives on the SIP event loop with the registrar.
public final class NonceAuthority {
    public enum Verdict: Sendable, Equatable {
        case valid
        /// Ours and from this address, but older than `lifetime`: challenge again with
        /// `stale=true` (the client's password is not in question).
        case stale
        /// Not ours, not for this address, or malformed.
        case invalid
        /// Seen with this `nc` or a higher one already.
        case replayed
    }

    public let lifetime: Duration
    let maxTracked: Int
    private let key: [UInt8]
    private let now: () -> Duration
    /// nonce → (issued, highest nc accepted).
    private var counts: [String: (issued: Duration, nc: UInt32)] = [:]

    /// - Parameter now: monotonic time (a fake clock in tests).
    public init(lifetime: Duration = .seconds(300), maxTracked: Int = 100_000, key: [UInt8]? = nil,
                now: @escaping () -> Duration) {
        self.lifetime = lifetime
        self.maxTracked = maxTracked
        var generator = SystemRandomNumberGenerator()
        self.key = key ?? (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.now = now
    }

    public var trackedCount: Int { counts.count }

    public func issue(for source: String) -> String {
        let issued = milliseconds(now())
        var generator = SystemRandomNumberGenerator()
        let random = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let body = bytes(of: issued) + random
        return DigestHash.hex(body + signature(body, source))
    }

    /// Checks `nonce` as presented from `source` with nonce count `nc` (nil: the client sent
    /// no qop, so no count). A valid answer records `nc` as the highest seen.
    public func verify(_ nonce: String, source: String, nc: UInt32?) -> Verdict {
        guard nonce.utf8.count == 64, let raw = Self.unhex(nonce) else { return .invalid }
        let body = Array(raw[0..<16]), mac = Array(raw[16..<32])
        guard DigestHash.constantTimeEquals(DigestHash.hex(mac), DigestHash.hex(signature(body, source))) else { return .invalid }
        let issued = Duration.milliseconds(Int64(bitPattern: body[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        let current = now()
        guard current - issued < lifetime, issued <= current + .seconds(1) else {
            counts[nonce] = nil
            return .stale
        }
        guard let nc else { return .valid }
        if let seen = counts[nonce] {
            guard nc > seen.nc else { return .replayed }
            counts[nonce]?.nc = nc
            return .valid
        }
        if counts.count >= maxTracked { prune(at: current) }
        // Still full of live nonces (a flood of first uses): make this client fetch a new
        // nonce later rather than forget the counts of others.
        guard counts.count < maxTracked else { return .stale }
        counts[nonce] = (issued, nc)
        return .valid
    }

    /// Whether `nonce` was issued by us to `source` (its HMAC holds), expired or not. Looks
    /// at no state and records nothing: the edge asks it before any transaction exists.
    public func isIssued(_ nonce: String, to source: String) -> Bool {
        guard nonce.utf8.count == 64, let raw = Self.unhex(nonce) else { return false }
        let body = Array(raw[0..<16]), mac = Array(raw[16..<32])
        return DigestHash.constantTimeEquals(DigestHash.hex(mac), DigestHash.hex(signature(body, source)))
    }

    /// Forgets counts of expired nonces (called periodically, and when the table fills).
    public func prune() { prune(at: now()) }

    private func prune(at current: Duration) {
        counts = counts.filter { current - $0.value.issued < lifetime }
    }

    private func signature(_ body: [UInt8], _ source: String) -> [UInt8] {
        Array(DigestHash.hmacSHA256(key: key, body + Array(source.utf8)).prefix(16))
    }

    private func milliseconds(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        return UInt64(max(0, s)) * 1000 + UInt64(max(0, atto) / 1_000_000_000_000_000)
    }

    private func bytes(of value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - UInt64($0) * 8)) } }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }
}
