/// Where the edge reads the time: monotonic, as a duration since an arbitrary origin, so unit
/// tests drive buckets and bans with a hand-moved clock.
public protocol EdgeClock: AnyObject {
    var now: Duration { get }
}

/// The real clock: `ContinuousClock` (monotonic, not affected by wall-clock steps).
public final class ContinuousEdgeClock: EdgeClock, @unchecked Sendable {
    private let origin = ContinuousClock.now
    public init() {}
    public var now: Duration { ContinuousClock.now - origin }
}
