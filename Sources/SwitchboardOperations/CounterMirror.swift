import CoreMetrics

/// Mirrors a monotonically growing count kept elsewhere (an `Int` in the call engine) into a
/// Prometheus counter by adding what it grew since the last look. Confined to one thread.
public struct CounterMirror {
    public let counter: CoreMetrics.Counter
    private var seen = 0
    public init(_ counter: CoreMetrics.Counter) { self.counter = counter }
    public mutating func update(to value: Int) {
        if value > seen { counter.increment(by: value - seen) }
        seen = max(seen, value)
    }
}

