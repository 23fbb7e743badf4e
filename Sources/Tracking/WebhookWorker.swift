import Foundation
import Logging
import Postgres

/// The post-call webhook worker of `switchboard web`: every `interval` it enqueues the
/// finished calls of each account with webhooks, then sends what is due, one claimed event
/// at a time (a claim is taken just before its request, so it always outlives it).
/// Any number of web nodes run one each; the outbox keeps them from sending an event twice
/// at once, and all state is in PostgreSQL, so a restart resumes where it stopped.
public final class WebhookWorker: @unchecked Sendable {
    let connectionString: String
    let accounts: [WebAccount]
    let policy: WebhookPolicy
    let logger: Logger
    let sender: WebhookSender
    private var connection: PostgresConnection?
    private let stopLock = NSCondition()
    private var stopping = false
    private var finished = false
    private var thread: Thread?

    public init(connectionString: String, accounts: [WebAccount], policy: WebhookPolicy,
                logger: Logger = Logger(label: "switchboard.web.webhooks")) {
        self.connectionString = connectionString
        self.accounts = accounts.filter { $0.webhooks != nil }.sorted { $0.name < $1.name }
        self.policy = policy
        self.logger = logger
        sender = WebhookSender(timeout: policy.timeout)
    }

    public var hasWork: Bool { !accounts.isEmpty }

    /// One round: enqueue, then send up to `batch` due events. Returns how many were sent
    /// (delivered or failed).
    @discardableResult
    public func runOnce() throws -> Int {
        let outbox = WebhookOutbox(connection: try connect())
        for account in accounts {
            guard let webhooks = account.webhooks else { continue }
            let added = try outbox.enqueue(account: account.name, webhooks: webhooks, lookbackSeconds: policy.lookback)
            if added > 0 { logger.debug("webhook events enqueued", metadata: ["account": "\(account.name)", "events": "\(added)"]) }
        }
        var sent = 0
        while sent < policy.batch, !isStopping {
            guard let claimed = try outbox.claim(limit: 1, claimSeconds: policy.claimSeconds).first else { break }
            sent += 1
            guard let secret = accounts.first(where: { $0.name == claimed.account })?.webhooks?.secret else {
                // The account lost its webhooks since: keep the event for when they return.
                try outbox.markFailed(claimed, status: nil, error: "account has no webhooks configured", policy: policy)
                continue
            }
            switch sender.send(claimed, secret: secret) {
            case .delivered(let status):
                try outbox.markDelivered(claimed, status: status)
            case .failed(let status, let reason):
                let dead = try outbox.markFailed(claimed, status: status, error: reason, policy: policy)
                // The URL is the account's own configuration; the secret is never logged.
                logger.log(level: dead ? .warning : .info, dead ? "webhook event dead after its last attempt" : "webhook attempt failed; will retry",
                           metadata: ["account": "\(claimed.account)", "key": "\(claimed.idempotencyKey)", "url": "\(claimed.url)",
                                      "attempt": "\(claimed.attempt)", "error": "\(reason)"])
            }
        }
        return sent
    }

    /// Runs rounds on a thread of its own until `stop()`. A database error costs the round
    /// (logged), never the worker.
    public func start() {
        guard hasWork, thread == nil else { return }
        let t = Thread { [self] in
            while !isStopping {
                var busy = false
                do { busy = try runOnce() >= policy.batch } catch {
                    logger.warning("webhook round failed", metadata: ["error": "\(error)"])
                    connection?.close()
                    connection = nil
                }
                if !busy { wait(seconds: policy.interval) }
            }
            connection?.close()
            connection = nil
            stopLock.lock(); finished = true; stopLock.broadcast(); stopLock.unlock()
        }
        t.name = "switchboard-webhooks"
        thread = t
        t.start()
        logger.notice("webhook worker started", metadata: ["accounts": "\(accounts.map(\.name).joined(separator: ","))"])
    }

    /// Stops after the request in flight, if any (at most `timeout`).
    public func stop() {
        stopLock.lock()
        stopping = true
        stopLock.broadcast()
        stopLock.unlock()
    }

    /// `stop()`, then waits for the thread to end (a test's "restart": nothing is left running).
    public func stopAndWait(timeout: TimeInterval = 60) {
        stop()
        guard thread != nil else { return }
        let deadline = Date().addingTimeInterval(timeout)
        stopLock.lock()
        while !finished && Date() < deadline { _ = stopLock.wait(until: deadline) }
        stopLock.unlock()
    }

    private var isStopping: Bool {
        stopLock.lock(); defer { stopLock.unlock() }
        return stopping
    }

    private func wait(seconds: Int) {
        stopLock.lock()
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while !stopping && Date() < deadline { _ = stopLock.wait(until: deadline) }
        stopLock.unlock()
    }

    private func connect() throws -> PostgresConnection {
        if let connection, connection.isHealthy { return connection }
        connection?.close()
        let fresh = try PostgresConnection(connectionString)
        connection = fresh
        return fresh
    }
}
