import Atomics
import Foundation

/// The compiled dialplans: every tracking number of every account mapped to
/// its account, source and plan. Immutable; a reload builds a new table and
/// swaps it in `DialplanStore`, while calls keep the table they started with.
public final class DialplanTable: Sendable {
    /// What a tracking number routes to.
    public struct Entry: Sendable {
        /// The tracking number in E.164.
        public let number: String
        public let account: Account
        /// The marketing source the number tracks (`google-ads`, `radio`, a pool name).
        public let source: String
        public let plan: Plan
        /// The website pool (dynamic number insertion, issue 16) the number belongs to;
        /// nil for a static number, whose calls keep their `source`.
        public let pool: String?
        /// Set while the number is being ported in (issue 16 item 7); it routes all the same.
        public let porting: Porting?
    }

    /// Keyed by the E.164 digits as an integer: a compact, O(1) hash lookup.
    private let entries: [UInt64: Entry]
    /// Account name → account.
    public let accounts: [String: Account]

    init(entries: [UInt64: Entry], accounts: [String: Account]) {
        self.entries = entries
        self.accounts = accounts
    }

    /// An empty table (before the first load succeeded).
    public static let empty = DialplanTable(entries: [:], accounts: [:])

    /// O(1) lookup of an E.164 number (`+18005550100`); nil → answer 404.
    public func lookup(e164: String) -> Entry? {
        guard let key = PhoneNumber.key(e164) else { return nil }
        return entries[key]
    }

    /// Lookup of a number as dialled (any format a carrier sends).
    public func lookup(dialled: String, defaultRegion: String? = nil) -> Entry? {
        guard let number = PhoneNumber(parsing: dialled, defaultRegion: defaultRegion) else { return nil }
        return entries[number.key]
    }

    public var numberCount: Int { entries.count }
    public var accountCount: Int { accounts.count }
    public var planCount: Int { accounts.values.reduce(0) { $0 + $1.plans.count } }

    /// Every tracking number, sorted (for `switchboard numbers` and tests).
    public var numbers: [String] { entries.values.map(\.number).sorted() }

    /// Every number with porting details, sorted by number (`switchboard numbers --porting`).
    public var portingEntries: [Entry] {
        entries.values.filter { $0.porting != nil }.sorted { $0.number < $1.number }
    }

    /// Every entry, sorted by number.
    public var allEntries: [Entry] { entries.values.sorted { $0.number < $1.number } }

    /// Every pool number, sorted by account, pool and number (for `switchboard web`).
    public var poolEntries: [Entry] {
        entries.values.filter { $0.pool != nil }
            .sorted { ($0.account.name, $0.pool!, $0.number) < ($1.account.name, $1.pool!, $1.number) }
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

    init(name: String, timeZone: TimeZone, callerID: CallerIDPolicy, plans: [String: Plan], path: String) {
        self.name = name
        self.timeZone = timeZone
        self.callerID = callerID
        self.plans = plans
        self.path = path
    }
}

/// Lets `DialplanStore` hold the running table in a `ManagedAtomic` (a lock-free swap).
extension DialplanTable: AtomicReference {}
