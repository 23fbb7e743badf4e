import Foundation

/// The thread a blocking PostgreSQL client runs on: libpq blocks the calling thread, so
/// nothing on an event loop may wait for it (design.md, "Concurrency"). It holds the stop
/// request its owner's loop checks and the lock that guards both it and the owner's own
/// state, so one `broadcast` wakes the loop for new work or for stopping.
///
/// Used by the workers that keep the daemon in step with the database (`AccessCache`,
/// `RegistrarStoreWorker`).
public final class DatabaseThread: @unchecked Sendable {
    /// Guards `stopping` and whatever state the owner shares with its loop.
    public let condition = NSCondition()
    /// Set by `stop()`; read it with `condition` held.
    public private(set) var stopping = false
    private let name: String
    private var thread: Thread?

    public init(name: String) {
        self.name = name
    }

    /// Runs `body` (the owner's loop, which returns once it sees `stopping`) on a new thread.
    public func start(_ body: @escaping @Sendable () -> Void) {
        let t = Thread(block: body)
        t.name = name
        condition.lock(); thread = t; condition.unlock()
        t.start()
    }

    /// Asks the loop to end: it sees `stopping` at its next wake-up, which this causes.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
