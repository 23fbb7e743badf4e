import Foundation

/// Every agent's live bindings, in memory for routing (PostgreSQL holds the same rows, so a
/// restart or another node gets them back). Two parts: this node's own bindings, which the
/// registrar writes on the SIP event loop, and those other nodes registered (`others`,
/// replaced whole from the database every refresh). The call engine reads both, possibly
/// from other loops: a lock guards a dictionary swap per write and a lookup per read
/// (REGISTERs and new calls, never per packet).
public final class BindingTable: @unchecked Sendable {
    private let lock = NSLock()
    private var byAgent: [String: [Binding]] = [:]
    private var others: [String: [Binding]] = [:]

    public init() {}

    /// Every live binding of the agent (this node's, then other nodes' not also held here),
    /// for routing.
    public func bindings(of agent: String, at now: Date = Date()) -> [Binding] {
        lock.lock(); defer { lock.unlock() }
        let own = (byAgent[agent] ?? []).filter { $0.expires > now }
        let keys = Set(own.map(\.key))
        return own + (others[agent] ?? []).filter { $0.expires > now && !keys.contains($0.key) }
    }

    /// This node's live bindings of the agent: what its registrar updates and writes.
    public func ownBindings(of agent: String, at now: Date = Date()) -> [Binding] {
        lock.lock(); defer { lock.unlock() }
        return (byAgent[agent] ?? []).filter { $0.expires > now }
    }

    /// Replaces what other nodes registered (from the store's periodic read).
    public func replaceOthers(_ bindings: [Binding]) {
        let grouped = Dictionary(grouping: bindings, by: \.agent)
        lock.lock(); defer { lock.unlock() }
        others = grouped
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

    /// Loads what the store held at start-up: this node's own rows, and the others'.
    public func load(own: [Binding], others: [Binding] = [], at now: Date = Date()) {
        lock.lock(); defer { lock.unlock() }
        byAgent = Dictionary(grouping: own.filter { $0.expires > now }, by: \.agent)
        self.others = Dictionary(grouping: others.filter { $0.expires > now }, by: \.agent)
    }

    /// This node's bindings.
    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return byAgent.values.reduce(0) { $0 + $1.count }
    }

    /// Other nodes' bindings known here.
    public var othersCount: Int {
        lock.lock(); defer { lock.unlock() }
        return others.values.reduce(0) { $0 + $1.count }
    }

    public var agentCount: Int {
        lock.lock(); defer { lock.unlock() }
        return byAgent.count
    }
}
