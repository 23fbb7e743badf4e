/// Brute-force protection for digest authentication (issue 15 item 5): failures are counted
/// per source address and per username over a sliding `window`. A source with
/// `maxPerSource` failures is blocked for `block`; once a username has `maxPerUser`
/// failures (a distributed guess at one account), every source that fails for it is blocked
/// on its first failure. The user is never locked out: a source that has not failed keeps
/// registering, so an attacker cannot deny service to a real phone by guessing its name.
///
/// Bounded: at most `maxTracked` sources and users each; the oldest are dropped. Not
/// thread-safe (SIP event loop).
public final class FailureLimiter {
    public struct Configuration: Sendable, Equatable {
        public var maxPerSource = 5
        public var maxPerUser = 10
        public var window: Duration = .seconds(300)
        public var block: Duration = .seconds(900)
        public var maxTracked = 50_000
        public init() {}
    }

    public let configuration: Configuration
    private let now: () -> Duration
    private var sources: [String: [Duration]] = [:]
    private var users: [String: [Duration]] = [:]
    private var blockedUntil: [String: Duration] = [:]
    public private(set) var blocksIssued = 0

    public init(configuration: Configuration = .init(), now: @escaping () -> Duration) {
        self.configuration = configuration
        self.now = now
    }

    public func isBlocked(_ source: String) -> Bool {
        guard let until = blockedUntil[source] else { return false }
        if now() < until { return true }
        blockedUntil[source] = nil
        return false
    }

    /// Records a failed authentication; true when it got the source blocked.
    @discardableResult
    public func recordFailure(source: String, user: String) -> Bool {
        let t = now()
        let s = append(&sources, source, t)
        let u = append(&users, user, t)
        guard s >= configuration.maxPerSource || u >= configuration.maxPerUser else { return false }
        if blockedUntil.count >= configuration.maxTracked { blockedUntil = blockedUntil.filter { t < $0.value } }
        blockedUntil[source] = t + configuration.block
        sources[source] = nil
        blocksIssued += 1
        return true
    }

    public var activeBlocks: Int {
        let t = now()
        return blockedUntil.values.filter { t < $0 }.count
    }

    private func append(_ table: inout [String: [Duration]], _ key: String, _ t: Duration) -> Int {
        var times = (table[key] ?? []).filter { t - $0 < configuration.window }
        times.append(t)
        if times.count > 64 { times.removeFirst(times.count - 64) }
        if table[key] == nil, table.count >= configuration.maxTracked {
            table = table.filter { ($0.value.last.map { t - $0 < configuration.window }) ?? false }
            if table.count >= configuration.maxTracked, let victim = table.keys.first { table[victim] = nil }
        }
        table[key] = times
        return times.count
    }
}
