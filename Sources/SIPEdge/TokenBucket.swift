/// A token bucket (RFC 2697's idea, continuous refill): `capacity` tokens, refilled at
/// `capacity / window`; a request takes one. A value type so a table stores it inline.
struct TokenBucket: Sendable, Equatable {
    private(set) var tokens: Double
    private var updated: Duration

    init(capacity: Int, now: Duration) {
        tokens = Double(capacity)
        updated = now
    }

    /// Takes one token if there is one; false when the rate is exceeded.
    mutating func take(capacity: Int, window: Duration, now: Duration) -> Bool {
        let elapsed = now - updated
        if elapsed > .zero {
            let perSecond = Double(capacity) / Self.seconds(window)
            tokens = min(Double(capacity), tokens + Self.seconds(elapsed) * perSecond)
            updated = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }
}
