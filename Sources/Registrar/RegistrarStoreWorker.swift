import Foundation
import Logging
import Postgres

/// The registrar's link to PostgreSQL, on its own thread (libpq blocks; the registrar runs
/// on the SIP event loop). It writes each agent's latest bindings (changes for one agent
/// coalesce: only the newest list is written), re-reads the agents' credentials and the
/// bindings other nodes registered every `refreshInterval`, and deletes expired rows. A failed write stays queued and is retried;
/// a database outage loses no registration the daemon still holds in memory.
public final class RegistrarStoreWorker: @unchecked Sendable {
    private let connectionString: String
    private let directory: AgentDirectory
    private let table: BindingTable
    private let node: String?
    private let refreshInterval: TimeInterval
    private let logger: Logger
    private let worker = DatabaseThread(name: "registrar-store")
    private var condition: NSCondition { worker.condition }
    private var pending: [String: [Binding]] = [:]
    private var order: [String] = []
    private var written = 0

    public init(connectionString: String, directory: AgentDirectory, bindings: BindingTable, node: String?,
                refreshInterval: TimeInterval = 5, logger: Logger = Logger(label: "switchboard.registrar.store")) {
        self.connectionString = connectionString
        self.directory = directory
        self.table = bindings
        self.node = node
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Reads credentials and live bindings once into the directory and the table (the
    /// daemon's start, before any loop); false when the database cannot be read (the worker
    /// keeps trying to load the agents).
    @discardableResult
    public func loadInitial() -> Bool {
        do {
            let c = try PostgresConnection(connectionString)
            defer { c.close() }
            let store = AgentStore(connection: c)
            directory.replace(try store.credentials())
            let all = try store.bindingsWithNodes()
            table.load(own: all.filter { $0.node == node }.map(\.binding), others: all.filter { $0.node != node }.map(\.binding))
            return true
        } catch {
            logger.warning("agents not loaded yet; retrying in the background", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Queues an agent's complete binding list (any thread; never blocks on the database).
    public func enqueue(agent: String, bindings: [Binding]) {
        condition.lock()
        if pending[agent] == nil { order.append(agent) }
        pending[agent] = bindings
        condition.signal()
        condition.unlock()
    }

    /// Agents whose latest bindings are written (tests, metrics).
    public var writtenCount: Int { condition.lock(); defer { condition.unlock() }; return written }

    public var pendingCount: Int { condition.lock(); defer { condition.unlock() }; return pending.count }

    public func start() {
        worker.start { [weak self] in self?.run() }
    }

    /// Stops after writing what is queued (best effort: one attempt).
    public func stop() {
        worker.stop()
    }

    private func run() {
        var connection: PostgresConnection?
        var nextRefresh = Date()
        var nextCleanup = Date().addingTimeInterval(60)
        var failing = false
        // After a failure: 1 s, doubling to 30 s (a database without the registrar's
        // migrations is not hammered once a second forever).
        var backoff: TimeInterval = 1
        while true {
            condition.lock()
            let wake = failing ? Date().addingTimeInterval(backoff) : nextRefresh
            while !worker.stopping, pending.isEmpty || failing, condition.wait(until: wake), Date() < wake {}
            let stop = worker.stopping
            let batch = order.compactMap { a in pending[a].map { (a, $0) } }
            condition.unlock()
            do {
                if connection == nil || connection?.isHealthy == false { connection = try PostgresConnection(connectionString) }
                let store = AgentStore(connection: connection!)
                for (agent, bindings) in batch {
                    try store.replaceBindings(agent: agent, with: bindings, node: node)
                    condition.lock()
                    // Only forget it when nothing newer was queued while we wrote.
                    if let latest = pending[agent], latest == bindings {
                        pending[agent] = nil
                        order.removeAll { $0 == agent }
                    }
                    written += 1
                    condition.unlock()
                }
                if Date() >= nextRefresh {
                    directory.replace(try store.credentials())
                    table.replaceOthers(try store.bindingsWithNodes().filter { $0.node != node }.map(\.binding))
                    nextRefresh = Date().addingTimeInterval(refreshInterval)
                }
                if Date() >= nextCleanup {
                    try store.deleteExpired()
                    nextCleanup = Date().addingTimeInterval(60)
                }
                failing = false
                backoff = 1
            } catch {
                if !failing { logger.warning("registrar store unavailable; retrying", metadata: ["error": "\(error)"]) }
                else { backoff = min(30, backoff * 2) }
                failing = true
                connection = nil
            }
            if stop { break }
        }
        connection?.close()
    }
}
