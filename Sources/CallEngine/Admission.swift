import Atomics
import NIOConcurrencyHelpers

/// Overload protection at call setup: a cap on calls in progress, on calls per tracking
/// number, and a token bucket of new calls per second per source address. Over a limit the
/// caller gets 503 with Retry-After at once, never silence (design.md "Call engine rules").
///
/// One instance is shared by the engines of every SIP loop (issue 12 item 4): the limits are
/// the node's, whichever loop a call lives on. No global lock on the hot path: the call count
/// is an atomic, and the per-number counts and per-source buckets are spread over
/// `stripeCount` locks by key, so two loops contend only when their keys share a stripe.
public final class Admission: Sendable {
    enum Refusal: Equatable { case nodeFull, numberFull, sourceRate }

    struct Bucket { var tokens: Double; var last: Duration }

    /// A lock and the keys that hash to it.
    private struct Stripe {
        var perNumber: [String: Int] = [:]
        var buckets: [String: Bucket] = [:]
    }

    static let stripeCount = 16

    let maxCalls: Int
    let maxPerNumber: Int
    let ratePerSource: Double
    private let callCount = ManagedAtomic<Int>(0)
    private let stripes: [NIOLockedValueBox<Stripe>]

    public init(maxCalls: Int, maxPerNumber: Int, ratePerSource: Int) {
        self.maxCalls = maxCalls
        self.maxPerNumber = maxPerNumber
        self.ratePerSource = Double(ratePerSource)
        self.stripes = (0..<Self.stripeCount).map { _ in NIOLockedValueBox(Stripe()) }
    }

    /// Calls admitted and not yet released, on every loop.
    public var calls: Int { callCount.load(ordering: .relaxed) }

    private func stripe(_ key: String) -> NIOLockedValueBox<Stripe> {
        stripes[Int(UInt(bitPattern: key.hashValue) % UInt(Self.stripeCount))]
    }

    /// Takes a token for `source` and a slot for `number`, or says which limit refused.
    func admit(source: String, number: String, now: Duration) -> Refusal? {
        let rate = ratePerSource
        let tookToken: Bool = stripe(source).withLockedValue { stripe in
            var bucket = stripe.buckets[source] ?? Bucket(tokens: rate, last: now)
            let elapsed = max(.zero, now - bucket.last)
            bucket.tokens = min(rate, bucket.tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * rate)
            bucket.last = max(bucket.last, now)
            let ok = bucket.tokens >= 1
            if ok { bucket.tokens -= 1 }
            stripe.buckets[source] = bucket
            if stripe.buckets.count > 10_000 / Self.stripeCount { stripe.buckets = stripe.buckets.filter { $0.value.tokens < rate } }
            return ok
        }
        guard tookToken else { return .sourceRate }
        // The node cap: claim a slot first, give it back if over (never more than maxCalls
        // admitted at once, whatever the interleaving of the loops).
        if callCount.loadThenWrappingIncrement(ordering: .acquiringAndReleasing) >= maxCalls {
            callCount.wrappingDecrement(ordering: .acquiringAndReleasing)
            refund(source)
            return .nodeFull
        }
        let cap = maxPerNumber
        let numberOK: Bool = stripe(number).withLockedValue { stripe in
            guard stripe.perNumber[number, default: 0] < cap else { return false }
            stripe.perNumber[number, default: 0] += 1
            return true
        }
        if !numberOK {
            callCount.wrappingDecrement(ordering: .acquiringAndReleasing)
            refund(source)
            return .numberFull
        }
        return nil
    }

    /// A refused call does not spend the source's token (as before sharing: only admitted
    /// calls count against the rate).
    private func refund(_ source: String) {
        let rate = ratePerSource
        stripe(source).withLockedValue { stripe in
            if var bucket = stripe.buckets[source] {
                bucket.tokens = min(rate, bucket.tokens + 1)
                stripe.buckets[source] = bucket
            }
        }
    }

    func release(number: String) {
        // Never below zero (a release without its admit would be a bug elsewhere).
        while true {
            let current = callCount.load(ordering: .relaxed)
            if current <= 0 { break }
            if callCount.compareExchange(expected: current, desired: current - 1, ordering: .acquiringAndReleasing).exchanged { break }
        }
        stripe(number).withLockedValue { stripe in
            let left = stripe.perNumber[number, default: 1] - 1
            stripe.perNumber[number] = left > 0 ? left : nil
        }
    }
}
