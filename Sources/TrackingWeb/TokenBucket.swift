import Foundation

/// Per-client-address request budget (a token bucket: `burst` requests at once, refilled at
/// `perSecond`). Time is passed in, so tests need no clock. Buckets idle long enough to be
/// full again are forgotten, so memory is bounded by the addresses active in that window.
public final class TokenBuckets: @unchecked Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }

    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private var lastSweep: Double = 0
    public let burst: Double
    public let perSecond: Double

    public init(burst: Double, perSecond: Double) {
        self.burst = burst
        self.perSecond = perSecond
    }

    /// Takes one token for `key`; nil when allowed, else the seconds until one is available.
    public func take(_ key: String, now: Double) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        sweep(now)
        var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * perSecond)
        bucket.updated = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            return (1 - bucket.tokens) / perSecond
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        return nil
    }

    public var trackedAddresses: Int { lock.lock(); defer { lock.unlock() }; return buckets.count }

    private func sweep(_ now: Double) {
        let refill = burst / perSecond
        guard now - lastSweep > refill else { return }
        lastSweep = now
        buckets = buckets.filter { now - $0.value.updated < refill }
    }
}
