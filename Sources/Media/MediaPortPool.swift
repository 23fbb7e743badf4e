import Foundation

/// Hands out RTP ports from the configured media range: even numbers only, with the odd
/// port above each reserved for RTCP (RFC 3550 §11: RTP on an even port, RTCP on the next).
///
/// Shared by every event loop, hence a lock; allocation happens once per call leg, not per
/// packet. Ports are handed out round-robin so a just-released port (whose far end may still
/// be sending) is reused as late as possible.
public final class MediaPortPool: @unchecked Sendable {
    public enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        case exhausted(ClosedRange<Int>)
        public var description: String {
            switch self { case .exhausted(let r): "no free RTP port in \(r.lowerBound)-\(r.upperBound)" }
        }
    }

    public let range: ClosedRange<Int>
    private let lock = NSLock()
    private var inUse: Set<Int> = []
    private var next: Int
    private let first: Int
    private let last: Int

    /// `range` bounds both RTP and RTCP ports: 10000...10009 yields 10000, 10002 … 10008.
    public init(range: ClosedRange<Int>) {
        precondition(range.lowerBound > 0 && range.upperBound <= 65535, "port range outside 1-65535")
        self.range = range
        first = range.lowerBound % 2 == 0 ? range.lowerBound : range.lowerBound + 1
        last = range.upperBound % 2 == 1 ? range.upperBound - 1 : range.upperBound - 2
        precondition(first <= last, "port range \(range) holds no RTP/RTCP pair")
        next = first
    }

    public var capacity: Int { (last - first) / 2 + 1 }
    public var allocatedCount: Int { lock.withLock { inUse.count } }

    /// An even RTP port (RTCP is `port + 1`).
    public func allocate() throws(Error) -> Int {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<capacity {
            let candidate = next
            next = next + 2 > last ? first : next + 2
            if inUse.insert(candidate).inserted { return candidate }
        }
        throw .exhausted(range)
    }

    public func release(_ port: Int) {
        lock.withLock { _ = inUse.remove(port) }
    }
}
