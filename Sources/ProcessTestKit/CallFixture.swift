import Foundation
import SIPTestKit

/// The set-up most integration suites share, built once: SIPp callees started first (each on
/// its own free port), then a dialplan whose targets name those ports, then the real
/// `switchboardd` on that dialplan with the test's extra configuration (and, when asked, a
/// throwaway PostgreSQL database and leg journal), then SIPp callers dialling it.
///
///     let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1)])
///     defer { call.stop() }
///     let callee = call.callees[0]
///     try call.startDaemon(plans: "  main:\n    ring-all: { targets: [\"sip:a@127.0.0.1:\(callee.port)\"] }\n")
///     let caller = try call.caller(calls: 1).run()
///
/// The steps stay separate because tests put things between them: prompts written into the
/// dialplan directory, accounts inserted into the database before the daemon reads them.
/// `stop()` (in a `defer`) ends everything in reverse order, in every outcome.
public final class CallFixture: @unchecked Sendable {
    /// A throwaway cluster with one database, and the journal directory the daemon gets.
    public struct Database: Sendable {
        public let cluster: PostgresCluster
        /// libpq connection string of the test's database.
        public let connectionString: String
        public let journal: URL

        /// The daemon's configuration lines for this database and journal.
        public var config: String { "journal: \(journal.path)\ndatabase: \"\(connectionString)\"\n" }
    }

    /// The callees, started, in the order given.
    public let callees: [SIPpProcess]
    public let database: Database?
    public private(set) var plan: TestDialplan?
    private var started: DaemonProcess?

    /// Starts the callees (and the database when `database` is true).
    public init(callees: [SIPpRun] = [], database: Bool = false) throws {
        var running: [SIPpProcess] = []
        do {
            for callee in callees { running.append(try callee.start()) }
            if database {
                let cluster = try PostgresCluster()
                let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
                self.database = Database(cluster: cluster, connectionString: cluster.connectionString(database: try cluster.createDatabase()),
                                         journal: journal)
            } else {
                self.database = nil
            }
        } catch {
            for callee in running.reversed() { _ = callee.stop() }
            throw error
        }
        self.callees = running
    }

    /// The daemon `startDaemon` started.
    public var daemon: DaemonProcess {
        guard let started else { preconditionFailure("CallFixture: startDaemon() first") }
        return started
    }

    /// Writes the test's dialplan (see `TestDialplan`); `startDaemon` points the daemon at it.
    @discardableResult
    public func writeDialplan(plans: String, numbers: [String: String] = ["+13125550100": "main"], callerID: String = "caller",
                              extra: String = "") throws -> TestDialplan {
        plan?.remove()
        let written = try TestDialplan(plans: plans, numbers: numbers, callerID: callerID, extra: extra)
        plan = written
        return written
    }

    /// Starts the daemon on the dialplan written by `writeDialplan` (the sample `Dialplans/`
    /// when none was), with the database's lines (if any) before `config`.
    @discardableResult
    public func startDaemon(config: String = "", port: Int = FreePort.next(), listenHost: String = "127.0.0.1",
                            environment: [String: String] = [:], extraListeners: [String] = []) throws -> DaemonProcess {
        let daemon = try DaemonProcess(port: port, listenHost: listenHost, extraConfig: (database?.config ?? "") + config,
                                       dialplans: plan?.directory.path, environment: environment, extraListeners: extraListeners)
        started = daemon
        return daemon
    }

    /// `writeDialplan` then `startDaemon`, for tests that need nothing in between.
    @discardableResult
    public func startDaemon(plans: String, numbers: [String: String] = ["+13125550100": "main"], callerID: String = "caller",
                            config: String = "") throws -> DaemonProcess {
        try writeDialplan(plans: plans, numbers: numbers, callerID: callerID)
        return try startDaemon(config: config)
    }

    /// A SIPp caller dialling `number` on the daemon (see `SIPpRun.caller`).
    public func caller(_ scenario: String = "caller.xml", number: String = "+13125550100", calls: Int, rate: Int = 10,
                       keys: [String: String] = [:], timeout: Int = 30) -> SIPpRun {
        SIPpRun.caller(scenario, daemon: daemon, number: number, calls: calls, rate: rate, keys: keys, timeout: timeout)
    }

    /// Stops the daemon, removes the dialplan, stops the callees (last first), then the
    /// database and its journal. Idempotent.
    public func stop() {
        started?.stop()
        plan?.remove()
        for callee in callees.reversed() { _ = callee.stop() }
        if let database {
            database.cluster.stop()
            try? FileManager.default.removeItem(at: database.journal)
        }
    }
}
