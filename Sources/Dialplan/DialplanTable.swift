import Atomics
import Foundation

/// The compiled dialplans: every tracking number of every account mapped to
/// its account, source and plan. Immutable; a reload builds a new table and
/// swaps it in `DialplanStore`, while calls keep the table they started with.
public final class DialplanTable: Sendable {
    /// What a tracking number routes to.
    public struct Entry: Sendable {
        /// The E.164 digits as an integer (`PhoneNumber.key`).
        let key: UInt64
        public let account: Account
        /// The marketing source the number tracks (`google-ads`, `radio`, a pool name).
        public let source: String
        public let plan: Plan
        /// The website pool (dynamic number insertion, issue 16) the number belongs to;
        /// nil for a static number, whose calls keep their `source`.
        public let pool: String?
        /// Set while the number is being ported in (issue 16 item 7); it routes all the same.
        public let porting: Porting?

        /// The tracking number in E.164 (made from the key: the table keeps no String per number).
        public var number: String { "+" + String(key) }
    }

    /// E.164 digits → unit index (high 32 bits) and route index within the unit (low 32):
    /// 16 bytes a number, so a million numbers fit in ~32 MiB (issue 17 item 1).
    private let slots: [UInt64: UInt64]
    /// By unit index (`DialplanIndex`'s file ids); nil where a file was removed.
    private let units: [DialplanUnit?]
    /// Account name → account.
    public let accounts: [String: Account]

    init(slots: [UInt64: UInt64], units: [DialplanUnit?], accounts: [String: Account]) {
        self.slots = slots
        self.units = units
        self.accounts = accounts
    }

    /// An empty table (before the first load succeeded).
    public static let empty = DialplanTable(slots: [:], units: [], accounts: [:])

    /// O(1) lookup of an E.164 number (`+18005550100`); nil → answer 404.
    public func lookup(e164: String) -> Entry? {
        guard let key = PhoneNumber.key(e164) else { return nil }
        return entry(key)
    }

    /// Lookup of a number as dialled (any format a carrier sends).
    public func lookup(dialled: String, defaultRegion: String? = nil) -> Entry? {
        guard let number = PhoneNumber(parsing: dialled, defaultRegion: defaultRegion) else { return nil }
        return entry(number.key)
    }

    private func entry(_ key: UInt64) -> Entry? {
        guard let slot = slots[key], let unit = units[Int(slot >> 32)] else { return nil }
        let route = unit.routes[Int(slot & 0xFFFF_FFFF)]
        return Entry(key: key, account: unit.account, source: route.source, plan: route.plan, pool: route.pool,
                     porting: unit.porting.isEmpty ? nil : unit.porting[key])
    }

    private var entries: [Entry] { slots.keys.compactMap(entry) }

    public var numberCount: Int { slots.count }
    public var accountCount: Int { accounts.count }
    public var planCount: Int { accounts.values.reduce(0) { $0 + $1.plans.count } }

    /// Every tracking number, sorted (for `switchboard numbers` and tests).
    public var numbers: [String] { entries.map(\.number).sorted() }

    /// Every number with porting details, sorted by number (`switchboard numbers --porting`).
    public var portingEntries: [Entry] {
        entries.filter { $0.porting != nil }.sorted { $0.number < $1.number }
    }

    /// Every entry, sorted by number.
    public var allEntries: [Entry] { entries.sorted { $0.number < $1.number } }

    /// Every pool number, sorted by account, pool and number (for `switchboard web`).
    public var poolEntries: [Entry] {
        entries.filter { $0.pool != nil }
            .sorted { ($0.account.name, $0.pool!, $0.number) < ($1.account.name, $1.pool!, $1.number) }
    }
}

/// One account file's compiled account and what its numbers route to, shared by every
/// number of the file (and by the next table, when a reload leaves the file unchanged).
final class DialplanUnit: Sendable {
    struct Route: Sendable {
        let plan: Plan
        let source: String
        let pool: String?
    }
    let account: Account
    let routes: [Route]
    /// Porting details by number key.
    let porting: [UInt64: Porting]

    init(account: Account, routes: [Route], porting: [UInt64: Porting]) {
        self.account = account
        self.routes = routes
        self.porting = porting
    }
}

/// One account file, compiled.
public final class Account: Sendable {
    public let name: String
    public let timeZone: TimeZone
    public let callerID: CallerIDPolicy
    /// Plan name → plan, for traces and tools; calls follow object references.
    public let plans: [String: Plan]
    /// The file the account came from.
    public let path: String
    /// What the account's agents may dial (`outbound:`).
    public let outbound: OutboundPolicy

    init(name: String, timeZone: TimeZone, callerID: CallerIDPolicy, plans: [String: Plan], path: String,
         outbound: OutboundPolicy = OutboundPolicy()) {
        self.outbound = outbound
        self.name = name
        self.timeZone = timeZone
        self.callerID = callerID
        self.plans = plans
        self.path = path
    }
}

/// Lets `DialplanStore` hold the running table in a `ManagedAtomic` (a lock-free swap).
extension DialplanTable: AtomicReference {}
