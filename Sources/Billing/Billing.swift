import Foundation
import LegStore
import Logging
import Postgres

/// The billing module: accounts and subscriptions, the business-day close that rates every
/// call leg exactly once, charges to the card on file, statements.
///
/// One `Billing` owns one blocking PostgreSQL connection (like the leg writer, it belongs to
/// the thread that uses it: the CLI, the systemd timer's run, a test).
///
/// Flow of a close (`close(at:account:)`): in ONE transaction under a transaction-scoped
/// advisory lock (so two nodes' timers serialise) it renews due subscriptions (access and
/// number-fee charges), ends the access of cancelled accounts past their term, then rates
/// every unrated leg up to each account's last ended business day in one set-based
/// statement, writing one usage line and at most one usage charge per account and day.
/// After COMMIT it sends due charges through the `PaymentGateway`; a failure there never
/// rolls the close back, and the charge is retried by the next close.
public final class Billing {
    public struct Configuration: Sendable {
        /// Failed attempts after which a charge is `failed` and the account `past_due`.
        public var maxChargeFailures = 3
        /// Wait before retrying a failed charge, doubled per failure (1 h, 2 h, 4 h…).
        public var chargeRetryBackoff: TimeInterval = 3600
        /// Business days one close handles per account at most (the rest: the next close).
        public var maxDaysPerClose = 62
        /// `work_mem` for the close's transaction (hashes and the allowance sort), at least.
        public var closeWorkMem = "256MB"
        /// A big close gets this many bytes of `work_mem` per candidate leg, up to
        /// `closeWorkMemMax` (a close of 10M legs: 2GB). It is a limit per sort or hash, not an
        /// allocation: a close of few legs uses what it needs. Lower the cap on a database
        /// server with less than ~8 GB to spare.
        public var closeWorkMemPerLeg = 200
        public var closeWorkMemMax = "2GB"
        /// Charges sent per `sendDueCharges` run at most.
        public var maxChargesPerRun = 100_000
        /// Test hook: called inside the close's transaction after the rating statement,
        /// before COMMIT. Throwing (or killing the connection) aborts the close.
        public var beforeCommit: (@Sendable (PostgresConnection) throws -> Void)? = nil

        public init() {}
    }

    /// Leg migrations then billing ones, for `switchboard migrate` and tests.
    public static var allMigrations: [Migration] { Migrations.all + BillingMigrations.all }

    /// Applies every pending leg and billing migration.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, logger: Logger = Logger(label: "switchboard.billing.migrate")) throws -> [Int] {
        try Migrator.migrate(connection, migrations: allMigrations, logger: logger)
    }

    @discardableResult
    public static func migrate(connectionString: String, logger: Logger = Logger(label: "switchboard.billing.migrate")) throws -> [Int] {
        let c = try PostgresConnection(connectionString)
        defer { c.close() }
        return try migrate(c, logger: logger)
    }

    /// Advisory-lock keys (shared by every node): the close, and charge sending.
    static let closeLockKey: Int64 = 6_075_687_800
    static let sendLockKey: Int64 = 6_075_687_801

    public let connection: PostgresConnection
    public let gateway: PaymentGateway
    public var configuration: Configuration
    let logger: Logger

    public init(connection: PostgresConnection, gateway: PaymentGateway = LedgerOnlyGateway(),
                configuration: Configuration = Configuration(), logger: Logger = Logger(label: "switchboard.billing")) {
        self.connection = connection
        self.gateway = gateway
        self.configuration = configuration
        self.logger = logger
    }

    public convenience init(connectionString: String, gateway: PaymentGateway = LedgerOnlyGateway(),
                            configuration: Configuration = Configuration(), logger: Logger = Logger(label: "switchboard.billing")) throws {
        self.init(connection: try PostgresConnection(connectionString), gateway: gateway, configuration: configuration, logger: logger)
    }

    /// Runs `body` in a transaction; rolls back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN")
        do {
            let v = try body()
            try connection.execute("COMMIT")
            return v
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

public enum BillingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let m): m
        case .notFound(let m): m
        }
    }
}
