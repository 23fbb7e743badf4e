import Dispatch
import Foundation
import LegStore
import Logging
import Tracking
import Postgres

/// Blocking libpq work off the event loops: at most `size` statements run at once, each on a
/// dispatch thread with a connection of its own (connections are not shared between threads,
/// see `PostgresConnection`). A broken connection is dropped and a new one made next time, so
/// a database restart costs the requests in flight (503) and nothing after.
final class DatabasePool: @unchecked Sendable {
    private let connectionString: String
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private let slots: DispatchSemaphore
    private let queue = DispatchQueue(label: "switchboard.web.database", attributes: .concurrent)
    let logger: Logger

    init(connectionString: String, size: Int, logger: Logger) {
        self.connectionString = connectionString
        self.slots = DispatchSemaphore(value: size)
        self.logger = logger
    }

    /// Runs `body` with a `LeaseStore` on a connection of the pool.
    func withStore<T: Sendable>(_ body: @escaping @Sendable (LeaseStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                slots.wait()
                defer { slots.signal() }
                do {
                    continuation.resume(returning: try run(body))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// An idle connection whose server restarted only fails on its next statement: then the
    /// work runs once more on a new connection. (Every unit of work is one transaction, which
    /// the broken connection did not commit, so running it again is safe.)
    private func run<T>(_ body: (LeaseStore) throws -> T) throws -> T {
        let (connection, reused) = try checkout()
        do {
            let value = try body(LeaseStore(connection: connection, logger: logger))
            checkin(connection)
            return value
        } catch let error as PostgresError where error.kind == .connection && reused {
            connection.close()
            logger.info("database connection lost; retrying on a new one", metadata: ["error": "\(error)"])
            let fresh = try PostgresConnection(connectionString)
            let value = try body(LeaseStore(connection: fresh, logger: logger))
            checkin(fresh)
            return value
        } catch {
            if connection.isHealthy { checkin(connection) }
            throw error
        }
    }

    private func checkout() throws -> (PostgresConnection, reused: Bool) {
        lock.lock()
        let connection = idle.popLast()
        lock.unlock()
        if let connection, connection.isHealthy { return (connection, true) }
        return (try PostgresConnection(connectionString), false)
    }

    private func checkin(_ connection: PostgresConnection) {
        lock.lock()
        idle.append(connection)
        lock.unlock()
    }
}
