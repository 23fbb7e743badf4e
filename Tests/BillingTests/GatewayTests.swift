import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
import Postgres

func gatewayConfig(_ server: TestPaymentServer, timeout: TimeInterval = 2, attempts: Int = 4) -> HTTPPaymentGateway.Configuration {
    var c = HTTPPaymentGateway.Configuration(baseURL: server.url, secretKey: "sk_test_secret")
    c.timeout = timeout
    c.maxAttempts = attempts
    c.initialBackoff = 0.1
    return c
}

func request(_ amount: Int64 = 1234) -> ChargeRequest {
    ChargeRequest(chargeID: UUID(), customer: "cus_1", paymentMethod: "pm_card_visa", amount: amount, currency: "USD", description: "Usage 2026-11-10")
}

@Suite struct GatewayTests {
    @Test func successSendsTheStripeStyleRequest() throws {
        let server = try TestPaymentServer()
        defer { server.stop() }
        let g = HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger)
        let r = request()
        let outcome = g.charge(r)
        #expect(outcome == .succeeded(reference: "pi_" + r.chargeID.uuidString.lowercased().prefix(8)))
        let seen = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(seen.path == "/v1/payment_intents")
        #expect(seen.headers["idempotency-key"] == r.chargeID.uuidString.lowercased())
        #expect(seen.headers["authorization"] == "Bearer sk_test_secret")
        #expect(seen.form["amount"] == "1234" && seen.form["currency"] == "usd")
        #expect(seen.form["confirm"] == "true" && seen.form["off_session"] == "true")
        #expect(seen.form["customer"] == "cus_1" && seen.form["payment_method"] == "pm_card_visa")
        #expect(server.charges == [r.chargeID.uuidString.lowercased(): 1])
        #expect(!"\(g.configuration)".contains("sk_test_secret"))
    }

    @Test func declineIsFinalWithTheProcessorsCode() throws {
        let server = try TestPaymentServer { _, _ in .decline(code: "insufficient_funds") }
        defer { server.stop() }
        let outcome = HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger).charge(request())
        #expect(outcome == .declined(code: "insufficient_funds", message: "Your card was declined."))
        #expect(server.requests.count == 1)  // a decline is not retried within the send
        #expect(server.charges.isEmpty)
    }

    /// The processor charged but answered too late: the retry carries the same key, gets the
    /// stored result, and the card is charged once.
    @Test func timeoutIsRetriedWithTheSameKeyAndChargedOnce() throws {
        // The first answer comes 3× after the client's timeout; the timeout itself is roomy
        // (2 s) so that on a loaded machine a retry, answered at once from the stored
        // result, is not timed out too (0.7 s once failed every attempt in CI).
        let server = try TestPaymentServer { _, n in n == 1 ? .succeedSlowly(delay: 6) : .succeed }
        defer { server.stop() }
        let r = request()
        let outcome = HTTPPaymentGateway(configuration: gatewayConfig(server, timeout: 2), logger: quietLogger).charge(r)
        #expect(outcome == .succeeded(reference: "pi_" + r.chargeID.uuidString.lowercased().prefix(8)))
        #expect(server.requests.count >= 2)
        #expect(Set(server.requests.compactMap { $0.headers["idempotency-key"] }) == [r.chargeID.uuidString.lowercased()])
        #expect(server.charges == [r.chargeID.uuidString.lowercased(): 1])
    }

    @Test func serverErrorsAreRetriedWithBackoffThenGiveUp() throws {
        let server = try TestPaymentServer { _, n in n <= 2 ? .serverError : .succeed }
        defer { server.stop() }
        let r = request()
        #expect(HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger).charge(r) != .deferred)
        let times = server.requests.map(\.receivedAt)
        #expect(times.count == 3)
        #expect(times[1].timeIntervalSince(times[0]) >= 0.09 && times[2].timeIntervalSince(times[1]) >= 0.19)  // 0.1 s, then 0.2 s
        #expect(server.charges == [r.chargeID.uuidString.lowercased(): 1])

        let down = try TestPaymentServer { _, _ in .serverError }
        defer { down.stop() }
        let outcome = HTTPPaymentGateway(configuration: gatewayConfig(down, attempts: 3), logger: quietLogger).charge(request())
        #expect(outcome == .failed("HTTP 500"))
        #expect(down.requests.count == 3)
        #expect(down.charges.isEmpty)
    }

    /// `processing` / `requires_action` are not declines and not worth a re-send: the send
    /// returns the payment in flight after ONE POST, and only GETs of its id follow.
    @Test func paymentInFlightIsPolledByIdNeverPostedAgain() throws {
        for status in ["processing", "requires_action"] {
            let server = try TestPaymentServer { _, _ in .inFlight(status: status, polls: 2, succeeds: true) }
            defer { server.stop() }
            let g = HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger)
            let r = request()
            let key = r.chargeID.uuidString.lowercased()
            let id = "pi_" + key.prefix(8)
            #expect(g.charge(r) == .inFlight(reference: id))
            #expect(server.posts == [key: 1])
            #expect(g.status(of: id) == .inFlight(reference: id))
            #expect(g.status(of: id) == .succeeded(reference: id))
            #expect(server.requests.map(\.method) == ["POST", "GET", "GET"])
            #expect(server.requests.last?.path == "/v1/payment_intents/" + id)
            #expect(server.charges == [key: 1])
        }
        let refused = try TestPaymentServer { _, _ in .inFlight(status: "processing", polls: 1, succeeds: false) }
        defer { refused.stop() }
        let g = HTTPPaymentGateway(configuration: gatewayConfig(refused), logger: quietLogger)
        guard case .inFlight(let id) = g.charge(request()) else { Issue.record("not in flight"); return }
        #expect(g.status(of: id) == .declined(code: "insufficient_funds", message: "The bank refused."))
    }

    @Test func secretComesFromAFileOrTheEnvironment() throws {
        let path = NSTemporaryDirectory() + "secret-\(UUID().uuidString)"
        try "sk_live_from_file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let url = URL(string: "https://api.example")!
        #expect(try HTTPPaymentGateway.Configuration.load(baseURL: url, secretFile: path, environment: [:]).secretKey == "sk_live_from_file")
        #expect(try HTTPPaymentGateway.Configuration.load(baseURL: url, secretFile: nil, environment: ["SWITCHBOARD_PAYMENT_SECRET": "sk_env"]).secretKey == "sk_env")
        #expect(throws: BillingError.self) { try HTTPPaymentGateway.Configuration.load(baseURL: url, secretFile: nil, environment: [:]) }
    }
}

/// Charging from the close, against the test processor and a real PostgreSQL.
@Suite(.postgres) struct ChargingTests {
    @Test func closeSendsChargesAfterCommitAndRecordsPayments() throws {
        let server = try TestPaymentServer()
        defer { server.stop() }
        let url = try DB.database()
        let b = try billing(url, gateway: HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger))
        let c = try PostgresConnection(url)
        try makeAccount(b, "acme", start: t("2026-11-01T04:00:00Z"), numbers: ["+18005550100"])
        _ = try CloseTests.tenthOfNovemberLegs(c, "acme")
        let r = try b.close(at: t("2026-11-11T05:00:00Z"))
        #expect(r.charges.succeeded == 3 && r.charges.failed == 0)  // access, numbers, usage
        #expect(try b.charges(account: "acme").allSatisfy { $0.status == "succeeded" && $0.processorReference?.hasPrefix("pi_") == true })
        #expect(try scalar(c, "SELECT sum(amount) FROM ledger") == "0")  // every debit paid
        #expect(server.charges.values.allSatisfy { $0 == 1 } && server.charges.count == 3)
        // Nothing is sent twice.
        #expect(try b.close(at: t("2026-11-11T05:00:00Z")).charges.attempted == 0)
        #expect(server.requests.count == 3)
    }

    /// Declines are retried at later closes (after the backoff), each retry a new key;
    /// after N failures the charge fails and the account is past_due; the close itself is
    /// never rolled back.
    @Test func declinedChargeIsRetriedAcrossClosesThenAccountIsPastDue() throws {
        let server = try TestPaymentServer { _, _ in .decline(code: "card_declined") }
        defer { server.stop() }
        let url = try DB.database()
        let b = try billing(url, gateway: HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger)) { cfg in
            cfg.maxChargeFailures = 3
            cfg.chargeRetryBackoff = 3600
        }
        let c = try PostgresConnection(url)
        try makeAccount(b, "broke", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z"))
        try insertLeg(c, account: "broke", target: "tel:+14155550123", answered: t("2026-11-01T15:00:00Z"), ended: t("2026-11-01T15:10:00Z"))
        let first = try b.close(at: t("2026-11-02T05:00:00Z"))
        #expect(first.legsRated == 1 && first.charges.failed == 1)
        #expect(try scalar(c, "SELECT count(*) FROM usage_days") == "1")  // the close committed
        var charge = try #require(try b.charges(account: "broke").first)
        #expect(charge.status == "retrying" && charge.attempts == 1 && charge.amount == 30)
        // 30 minutes later: not yet due.
        #expect(try b.close(at: t("2026-11-02T05:30:00Z")).charges.attempted == 0)
        #expect(try b.close(at: t("2026-11-02T06:00:01Z")).charges.failed == 1)   // after 1 h
        let third = try b.close(at: t("2026-11-02T08:00:01Z"))                    // after 2 h more
        #expect(third.charges.failed == 1 && third.charges.pastDue == 1)
        charge = try #require(try b.charges(account: "broke").first)
        #expect(charge.status == "failed" && charge.attempts == 3)
        #expect(try b.account("broke").status == "past_due")
        #expect(try b.close(at: t("2026-11-05T08:00:00Z")).charges.attempted == 0)  // failed is final
        let keys = server.requests.compactMap { $0.headers["idempotency-key"] }
        let id = charge.chargeID.uuidString.lowercased()
        #expect(keys == [id, id + "-r1", id + "-r2"])
        #expect(server.charges.isEmpty)
    }

    /// A payment the processor is still processing stays pending with its reference, is
    /// polled by id at the next runs (never POSTed again, never a failure), and is recorded
    /// paid when it settles: the account never becomes past_due for money that arrives,
    /// even with a single allowed failure.
    @Test func processingPaymentStaysPendingAndIsPolledUntilPaid() throws {
        let server = try TestPaymentServer { _, _ in .inFlight(status: "processing", polls: 3, succeeds: true) }
        defer { server.stop() }
        let url = try DB.database()
        let b = try billing(url, gateway: HTTPPaymentGateway(configuration: gatewayConfig(server, attempts: 2), logger: quietLogger)) { cfg in
            cfg.maxChargeFailures = 1
        }
        let c = try PostgresConnection(url)
        try makeAccount(b, "slowbank", start: t("2026-11-01T04:00:00Z"))  // one access charge, $45
        let first = try b.sendDueCharges(at: t("2026-11-01T05:00:00Z"))
        #expect(first.attempted == 1 && first.inFlight == 1 && first.failed == 0)
        var charge = try #require(try b.charges(account: "slowbank").first)
        let key = charge.chargeID.uuidString.lowercased()
        #expect(charge.status == "pending" && charge.processorReference == "pi_" + key.prefix(8) && charge.lastError == nil)
        #expect(try b.account("slowbank").status == "active")
        for hour in 6...7 {
            let r = try b.sendDueCharges(at: t("2026-11-01T0\(hour):00:00Z"))
            #expect(r.inFlight == 1 && r.failed == 0 && r.pastDue == 0)
            #expect(try b.charges(account: "slowbank").first?.status == "pending")
        }
        let settled = try b.sendDueCharges(at: t("2026-11-01T08:00:00Z"))
        #expect(settled.succeeded == 1 && settled.inFlight == 0)
        charge = try #require(try b.charges(account: "slowbank").first)
        #expect(charge.status == "succeeded")
        #expect(try b.account("slowbank").status == "active")
        #expect(try scalar(c, "SELECT sum(amount) FROM ledger WHERE account = 'slowbank'") == "0")  // paid
        #expect(server.posts == [key: 1])
        #expect(server.requests.filter { $0.method == "GET" }.count == 3)
        #expect(server.charges == [key: 1])
        #expect(try b.sendDueCharges(at: t("2026-11-01T09:00:00Z")).attempted == 0)
    }

    /// A payment in flight that the bank finally refuses is a decline like a 402: counted,
    /// retried later as a new payment (`-r1`), never polled again.
    @Test func paymentInFlightThatIsRefusedIsADecline() throws {
        let server = try TestPaymentServer { key, _ in
            key.hasSuffix("-r1") ? .succeed : .inFlight(status: "requires_action", polls: 1, succeeds: false)
        }
        defer { server.stop() }
        let url = try DB.database()
        let b = try billing(url, gateway: HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger)) { cfg in
            cfg.chargeRetryBackoff = 3600
        }
        try makeAccount(b, "sca", start: t("2026-11-01T04:00:00Z"))
        #expect(try b.sendDueCharges(at: t("2026-11-01T05:00:00Z")).inFlight == 1)
        #expect(try b.sendDueCharges(at: t("2026-11-01T05:15:00Z")).failed == 1)
        var charge = try #require(try b.charges(account: "sca").first)
        #expect(charge.status == "retrying" && charge.attempts == 1 && charge.processorReference == nil)
        #expect(charge.lastError?.contains("insufficient_funds") == true)
        #expect(try b.sendDueCharges(at: t("2026-11-01T06:15:01Z")).succeeded == 1)
        charge = try #require(try b.charges(account: "sca").first)
        #expect(charge.status == "succeeded")
        let key = charge.chargeID.uuidString.lowercased()
        #expect(server.posts == [key: 1, key + "-r1": 1])
    }

    @Test func chargeWithoutCardFailsAndLedgerOnlyLeavesPending() throws {
        let url = try DB.database()
        let b = try billing(url)  // ledger-only
        try makeAccount(b, "nocard", start: t("2026-11-01T04:00:00Z"), card: false)
        #expect(try b.sendDueCharges(at: t("2026-11-01T05:00:00Z")).deferred == 1)
        #expect(try b.charges(account: "nocard").map(\.status) == ["pending"])
        let server = try TestPaymentServer()
        defer { server.stop() }
        let http = try billing(url, gateway: HTTPPaymentGateway(configuration: gatewayConfig(server), logger: quietLogger))
        #expect(try http.sendDueCharges(at: t("2026-11-01T05:00:00Z")).failed == 1)
        #expect(try http.charges(account: "nocard").first?.lastError == "no payment method on file")
        #expect(server.requests.isEmpty)
    }
}
