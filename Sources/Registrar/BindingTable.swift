import Foundation

/// Every agent's live bindings, in memory for routing (PostgreSQL holds the same rows, so a
/// restart or another node gets them back). The registrar writes it on the SIP event loop;
/// the call engine reads it, possibly from other loops: a lock guards a dictionary swap per
/// write and a lookup per read (REGISTERs and new calls, never per packet).
public final class BindingTable: @unchecked Sendable {
    private let lock = NSLock()
    private var byAgent: [String: [Binding]] = [:]

    public init() {}

    /// The agent's bindings that have not expired at `now`, oldest first.
    public func bindings(of agent: String, at now: Date = Date()) -> [Binding] {
        lock.lock(); defer { lock.unlock() }
        return (byAgent[agent] ?? []).filter { $0.expires > now }
    }

    public func replace(_ agent: String, with bindings: [Binding]) {
        lock.lock(); defer { lock.unlock() }
        byAgent[agent] = bindings.isEmpty ? nil : bindings
    }

    /// Removes every binding expired at `now`; returns them (for the store and the log).
    @discardableResult
    public func removeExpired(at now: Date = Date()) -> [Binding] {
        lock.lock(); defer { lock.unlock() }
        var removed: [Binding] = []
        for (agent, list) in byAgent {
            let (live, dead) = (list.filter { $0.expires > now }, list.filter { $0.expires <= now })
            guard !dead.isEmpty else { continue }
            removed += dead
            byAgent[agent] = live.isEmpty ? nil : live
        }
        return removed
    }

    /// Loads what the store held at start-up.
    public func load(_ bindings: [Binding], at now: Date = Date()) {
        lock.lock(); defer { lock.unlock() }
        byAgent = Dictionary(grouping: bindings.filter { $0.expires > now }, by: \.agent)
    }

    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return byAgent.values.reduce(0) { $0 + $1.count }
    }

    public var agentCount: Int {
        lock.lock(); defer { lock.unlock() }
        return byAgent.count
    }
}
