import Foundation
import LegStore
import Logging
import Postgres

/// Which accounts have lost access (cancelled and past the paid term), for the daemon to
/// answer their numbers' INVITEs with 403. Reads PostgreSQL on its own thread every
/// `refreshInterval` seconds; `isBlocked(account:)` is a lock-protected set lookup, safe
/// from any thread or event loop (it never touches the database). If a refresh fails the
/// last known set stays (nobody is blocked or unblocked by a database outage).
public final class AccessCache: @unchecked Sendable {
    /// The reason for the daemon's response (e.g. a `Reason` or `Warning` header).
    public static let blockedReason = "account access ended"

    private let connectionString: String
    private let refreshInterval: TimeInterval
    private let logger: Logger
    private let worker = DatabaseThread(name: "access-cache")
    private var condition: NSCondition { worker.condition }
    private var blocked: Set<String> = []
    /// Agents' outbound spend today by account, in micro-units (`OutboundSpend`).
    private var spent: [String: Int64] = [:]
    private var loaded = false
    private var refreshes = 0

    public init(connectionString: String, refreshInterval: TimeInterval = 30,
                logger: Logger = Logger(label: "switchboard.billing.access")) {
        self.connectionString = connectionString
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The accounts whose access has ended at `now` (also usable without the cache).
    public static func blockedAccounts(_ connection: PostgresConnection, at now: Date = Date()) throws -> Set<String> {
        Set(try connection.execute("""
        SELECT a.name FROM accounts a LEFT JOIN subscriptions s ON s.account = a.name
        WHERE a.status = 'ended' OR (s.access_until IS NOT NULL AND s.access_until <= $1)
        """, [PG.time(now)]).rows.compactMap { $0[0] })
    }

    /// Why an account's agents may not place another call today under a daily limit of
    /// `limit` minor units, nil when they may. An account without a billing plan cannot be
    /// priced, so a limit on it refuses (never dial what nobody can be billed for); before
    /// the first load every limited account is refused the same way.
    public func spendRefusal(account: String, limit: Int64) -> String? {
        condition.lock(); defer { condition.unlock() }
        guard let micros = spent[account] else { return "spend limit cannot be checked (no billing plan)" }
        return micros >= limit * 1_000_000 ? "daily spend limit reached" : nil
    }

    public func isBlocked(account: String) -> Bool {
        condition.lock(); defer { condition.unlock() }
        return blocked.contains(account)
    }

    /// True once the first refresh succeeded.
    public var isLoaded: Bool { condition.lock(); defer { condition.unlock() }; return loaded }

    public var refreshCount: Int { condition.lock(); defer { condition.unlock() }; return refreshes }

    /// Loads once synchronously (throws if the database cannot be read), then refreshes in
    /// the background.
    public func start() throws {
        try refresh()
        worker.start { [weak self] in self?.run() }
    }

    /// For the daemon: tries a first load, but starts refreshing in the background even when
    /// the database is down or billing is not migrated yet (calls are then let through:
    /// a database outage must not take the phones down).
    public func startInBackground() {
        do { try refresh() } catch {
            logger.warning("account access not loaded yet; retrying in the background", metadata: ["error": "\(error)"])
        }
        worker.start { [weak self] in self?.run() }
    }

    public func stop() {
        worker.stop()
    }

    /// One synchronous refresh.
    public func refresh() throws {
        let c = try PostgresConnection(connectionString)
        defer { c.close() }
        try load(c)
    }

    /// Reads both lists, then swaps them in together (a failed read changes nothing).
    private func load(_ connection: PostgresConnection) throws {
        let set = try Self.blockedAccounts(connection)
        let spend = try OutboundSpend.spentToday(connection)
        condition.lock()
        blocked = set
        spent = spend
        loaded = true
        refreshes += 1
        condition.unlock()
    }

    private func run() {
        var connection: PostgresConnection?
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(refreshInterval)
            while !worker.stopping, condition.wait(until: deadline) {}
            let stop = worker.stopping
            condition.unlock()
            if stop { break }
            do {
                if connection == nil || connection?.isHealthy == false { connection = try PostgresConnection(connectionString) }
                try load(connection!)
            } catch {
                connection = nil
                logger.warning("access cache refresh failed; keeping the last list", metadata: ["error": "\(error)"])
            }
        }
        connection?.close()
    }
}
