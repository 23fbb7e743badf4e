/// Overload protection at call setup: a cap on calls in progress, on calls per tracking
/// number, and a token bucket of new calls per second per source address. Over a limit the
/// caller gets 503 with Retry-After at once, never silence (design.md "Call engine rules").
struct Admission {
    enum Refusal: Equatable { case nodeFull, numberFull, sourceRate }

    struct Bucket { var tokens: Double; var last: Duration }

    var maxCalls: Int
    var maxPerNumber: Int
    var ratePerSource: Double
    private(set) var calls = 0
    private var perNumber: [String: Int] = [:]
    private var buckets: [String: Bucket] = [:]

    init(maxCalls: Int, maxPerNumber: Int, ratePerSource: Int) {
        self.maxCalls = maxCalls
        self.maxPerNumber = maxPerNumber
        self.ratePerSource = Double(ratePerSource)
    }

    /// Takes a token for `source` and a slot for `number`, or says which limit refused.
    mutating func admit(source: String, number: String, now: Duration) -> Refusal? {
        var bucket = buckets[source] ?? Bucket(tokens: ratePerSource, last: now)
        let elapsed = Double((now - bucket.last).components.seconds) + Double((now - bucket.last).components.attoseconds) / 1e18
        bucket.tokens = min(ratePerSource, bucket.tokens + elapsed * ratePerSource)
        bucket.last = now
        if bucket.tokens < 1 {
            buckets[source] = bucket
            return .sourceRate
        }
        if calls >= maxCalls { return .nodeFull }
        if perNumber[number, default: 0] >= maxPerNumber { return .numberFull }
        bucket.tokens -= 1
        buckets[source] = bucket
        calls += 1
        perNumber[number, default: 0] += 1
        if buckets.count > 10_000 { buckets = buckets.filter { $0.value.tokens < ratePerSource } }
        return nil
    }

    mutating func release(number: String) {
        calls = max(0, calls - 1)
        let left = perNumber[number, default: 1] - 1
        perNumber[number] = left > 0 ? left : nil
    }
}
