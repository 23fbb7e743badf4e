import CoreMetrics

/// How every part of `DaemonMetrics` (and `QueueStatus`) creates its series: once, with
/// fixed labels (design.md: labels never carry per-call values). One place, so a series is
/// made the same way whichever part owns it.
extension MetricsFactory {
    func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels, factory: self)
    }

    func gauge(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: labels, factory: self)
    }
}
