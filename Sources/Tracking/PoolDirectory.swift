import Dialplan

/// The website pools of every account, as the dialplans define them (`pools:` in an account
/// file). Immutable; built from a compiled `DialplanTable`.
public struct PoolDirectory: Sendable {
    public struct Pool: Sendable, Equatable {
        public var account: String
        public var name: String
        /// E.164, sorted.
        public var numbers: [String]
    }

    /// account → pool name → pool
    public let pools: [String: [String: Pool]]

    public init(table: DialplanTable) {
        var pools: [String: [String: Pool]] = [:]
        for entry in table.poolEntries {
            let account = entry.account.name, name = entry.pool!
            pools[account, default: [:]][name, default: Pool(account: account, name: name, numbers: [])].numbers.append(entry.number)
        }
        self.pools = pools
    }

    public func pool(account: String, name: String) -> Pool? { pools[account]?[name] }

    public var all: [Pool] {
        pools.values.flatMap(\.values).sorted { ($0.account, $0.name) < ($1.account, $1.name) }
    }
}
