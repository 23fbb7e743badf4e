import Foundation
import LegStore

/// What one run of `sendDueCharges` did.
public struct SendReport: Sendable, Equatable {
    public var attempted = 0
    public var succeeded = 0
    public var failed = 0
    public var deferred = 0
    /// Accounts newly marked past_due.
    public var pastDue = 0
    /// Payments still in flight after this run (sent or polled, not settled).
    public var inFlight = 0
    /// Another node was sending: this run sent nothing.
    public var skippedLocked = false
    public init() {}
}

extension Billing {
    /// Sends every pending or retrying charge whose retry time has come (by `at`), one at a
    /// time, recording each outcome in its own transaction. Runs after the close's COMMIT,
    /// so a slow or failing processor never holds or undoes a close. A session advisory
    /// lock keeps two nodes from sending at once (the idempotency key would make a double
    /// send harmless anyway).
    public func sendDueCharges(at: Date) throws -> SendReport {
        var report = SendReport()
        guard try connection.execute("SELECT pg_try_advisory_lock($1)", [String(Self.sendLockKey)]).rows[0][0] == "t" else {
            report.skippedLocked = true
            return report
        }
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [String(Self.sendLockKey)]) }
        let due = try connection.execute("""
        SELECT c.charge_id, c.account, c.amount, c.currency, c.description, a.processor_customer, p.processor_token, c.declines,
               c.processor_reference
        FROM charges c JOIN accounts a ON a.name = c.account
        LEFT JOIN payment_methods p ON p.account = c.account
        WHERE c.status IN ('pending', 'retrying') AND c.next_attempt_at <= $1
        ORDER BY c.created_at, c.charge_id
        LIMIT $2
        """, [PG.time(at), String(configuration.maxChargesPerRun)]).rows
        guard gateway.sendsCharges else {
            report.deferred = due.count
            return report
        }
        for row in due {
            guard let id = UUID(uuidString: row[0]!), let amount = Int64(row[2]!) else { continue }
            let outcome: ChargeOutcome
            if let reference = row[8] {
                // In flight: only ever polled by its id, never sent again.
                outcome = gateway.status(of: reference)
                if case .failed(let why) = outcome {
                    logger.notice("payment in flight: no answer to the poll, asking again at the next run",
                                  metadata: ["charge_id": "\(id)", "reference": "\(reference)", "error": "\(why)"])
                    report.inFlight += 1
                    continue
                }
            } else if let token = row[6] {
                let req = ChargeRequest(chargeID: id, customer: row[5], paymentMethod: token, amount: amount,
                                        currency: row[3]!, description: row[4]!, declines: Int(row[7] ?? "0") ?? 0)
                outcome = gateway.charge(req)
            } else {
                outcome = .failed("no payment method on file")
            }
            if outcome == .deferred { report.deferred += 1; continue }
            report.attempted += 1
            switch outcome {
            case .succeeded: report.succeeded += 1
            case .inFlight: report.inFlight += 1
            default: report.failed += 1
            }
            if try record(outcome, charge: id, account: row[1]!, at: at) { report.pastDue += 1 }
        }
        return report
    }

    /// Records a gateway outcome; returns true if the account became past_due.
    private func record(_ outcome: ChargeOutcome, charge id: UUID, account: String, at: Date) throws -> Bool {
        try transaction {
            switch outcome {
            case .succeeded(let reference):
                let r = try connection.execute("""
                UPDATE charges SET status = 'succeeded', attempts = attempts + 1, processor_reference = $2,
                       last_error = NULL, updated_at = now()
                WHERE charge_id = $1 AND status IN ('pending', 'retrying')
                RETURNING account, amount, currency, description
                """, [id.uuidString, reference])
                if let c = r.rows.first {
                    try connection.execute("""
                    INSERT INTO ledger (at, account, kind, amount, currency, charge_id, description)
                    VALUES ($1, $2, 'payment', -$3::bigint, $4, $5, 'Payment: ' || $6)
                    ON CONFLICT (charge_id, kind) DO NOTHING
                    """, [PG.time(at), c[0], c[1], c[2], id.uuidString, c[3]])
                    // Back to good standing once nothing is left failed.
                    try connection.execute("""
                    UPDATE accounts SET status = 'active' WHERE name = $1 AND status = 'past_due'
                      AND NOT EXISTS (SELECT 1 FROM charges WHERE account = $1 AND status = 'failed')
                    """, [account])
                }
                return false
            case .declined(let code, let message):
                return try recordFailure(id, account: account, error: "declined: \(code): \(message)", declined: true, at: at)
            case .failed(let message):
                return try recordFailure(id, account: account, error: message, declined: false, at: at)
            case .inFlight(let reference):
                // Pending with the processor's reference: the next runs poll it. Not an
                // attempt that failed, so neither `attempts` nor the backoff move.
                try connection.execute("""
                UPDATE charges SET status = 'pending', processor_reference = $2, last_error = NULL, updated_at = now()
                WHERE charge_id = $1 AND status IN ('pending', 'retrying')
                """, [id.uuidString, reference])
                return false
            case .deferred:
                return false
            }
        }
    }

    private func recordFailure(_ id: UUID, account: String, error: String, declined: Bool, at: Date) throws -> Bool {
        let r = try connection.execute("""
        UPDATE charges SET attempts = attempts + 1, last_error = $2, updated_at = now(), processor_reference = NULL,
               declines = declines + CASE WHEN $6 THEN 1 ELSE 0 END,
               status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'retrying' END,
               next_attempt_at = $4::timestamptz + make_interval(secs => $5::double precision * power(2, attempts))
        WHERE charge_id = $1 AND status IN ('pending', 'retrying')
        RETURNING status
        """, [id.uuidString, String(error.prefix(500)), String(configuration.maxChargeFailures), PG.time(at),
              String(configuration.chargeRetryBackoff), declined ? "true" : "false"])
        logger.warning("charge failed", metadata: ["charge_id": "\(id)", "account": "\(account)", "error": "\(error)"])
        guard r.rows.first?[0] == "failed" else { return false }
        return try connection.execute("UPDATE accounts SET status = 'past_due' WHERE name = $1 AND status = 'active'",
                                      [account]).affectedRows > 0
    }
}
