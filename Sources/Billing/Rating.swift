/// Billing increments of a rate: the first `first` seconds are billed as a block, then
/// every started `next` seconds; a leg shorter than `minimum` is billed as `minimum`.
/// 60/60 is per-minute billing, 6/6 per six seconds, 30/6 a 30-second first block.
public struct RatingIncrements: Sendable, Hashable {
    public var first: Int
    public var next: Int
    public var minimum: Int

    public init(first: Int, next: Int, minimum: Int = 0) {
        precondition(first > 0 && next > 0 && minimum >= 0, "increments must be positive")
        self.first = first
        self.next = next
        self.minimum = minimum
    }
}

/// The rating arithmetic, the same as the close's SQL (`BillingClose`), kept pure so it can
/// be tested against a direct calculation.
public enum Rating {
    /// Whole seconds between answer and end, a started second counting as one; 0 for a
    /// leg never answered (or ending before its answer).
    public static func durationSeconds(answeredMicros: Int64?, endedMicros: Int64) -> Int {
        guard let answeredMicros, endedMicros > answeredMicros else { return 0 }
        let d = endedMicros - answeredMicros
        return Int((d + 999_999) / 1_000_000)
    }

    /// Billed seconds for a leg of `duration` seconds: 0 if it lasted nothing (unanswered),
    /// otherwise max(duration, minimum) rounded up to the first increment, then to whole
    /// next increments.
    public static func billedSeconds(duration: Int, _ inc: RatingIncrements) -> Int {
        guard duration > 0 else { return 0 }
        let d = max(duration, inc.minimum)
        if d <= inc.first { return inc.first }
        let rest = d - inc.first
        return inc.first + (rest + inc.next - 1) / inc.next * inc.next
    }

    /// Cost in micro-units of the minor unit (millionths of a cent) of `seconds` at
    /// `pricePerMinuteMicros`, rounded half up.
    public static func costMicros(seconds: Int, pricePerMinuteMicros: Int64) -> Int64 {
        (Int64(seconds) * pricePerMinuteMicros + 30) / 60
    }

    /// A day's amount in minor units from its legs' micro-units, rounded half up.
    public static func minorUnits(micros: Int64) -> Int64 {
        (micros + 500_000) / 1_000_000
    }
}
