import Billing
import Foundation
import LegStore
import Logging
import ProcessTestKit
import Testing
import Postgres

/// One PostgreSQL cluster per suite (`@Suite(.postgres)`); each test takes its own database.
struct PostgresSuiteTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try PostgresCluster()
        defer { cluster.kill() }
        try await DB.$cluster.withValue(cluster) { try await function() }
    }
}

extension Trait where Self == PostgresSuiteTrait {
    static var postgres: Self { Self() }
}

enum DB {
    @TaskLocal static var cluster: PostgresCluster?

    /// A fresh database with the leg and billing schemas.
    static func database() throws -> String {
        let cluster = try #require(cluster, "suite needs the .postgres trait")
        let url = try cluster.createDatabase()
        try Billing.migrate(connectionString: url, logger: quietLogger)
        return url
    }
}

let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

/// "2026-11-01T12:00:00Z" → Date.
func t(_ s: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: s)!
}

func billing(_ url: String, gateway: PaymentGateway = LedgerOnlyGateway(), _ tweak: (inout Billing.Configuration) -> Void = { _ in }) throws -> Billing {
    var c = Billing.Configuration()
    tweak(&c)
    return try Billing(connectionString: url, gateway: gateway, configuration: c, logger: quietLogger)
}

/// A new account on `plan` starting at `start`.
func makeAccount(_ b: Billing, _ name: String, plan: String = "small-teams", cycle: BillingCycle = .monthly,
                 tz: String = "America/New_York", cutoff: String = "00:00", start: Date, card: Bool = true,
                 numbers: [String] = []) throws {
    var a = NewAccount(name: name, timezone: tz, plan: plan, cycle: cycle)
    a.cutoff = cutoff
    a.start = start
    a.processorCustomer = "cus_\(name)"
    a.numbers = numbers
    if card { a.paymentMethod = PaymentMethod(processorToken: "pm_card_\(name)", brand: "visa", last4: "4242", expMonth: 12, expYear: 2030) }
    try b.createAccount(a)
}

/// Inserts one ended leg straight into call_legs (as the leg writer would have).
@discardableResult
func insertLeg(_ c: PostgresConnection, account: String, direction: String = "outbound", target: String = "tel:+14155550123",
               tracking: String = "+18005550100", answered: Date?, ended: Date) throws -> UUID {
    let id = UUID()
    try c.execute("""
    INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    """, [id.uuidString, UUID().uuidString, account, tracking, direction, target,
          PG_time(answered ?? ended.addingTimeInterval(-30)), answered.map(PG_time), PG_time(ended), answered == nil ? "486" : "200"])
    return id
}

func PG_time(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: d)
}

func rows(_ c: PostgresConnection, _ sql: String, _ p: [String?] = []) throws -> [[String?]] {
    try c.execute(sql, p).rows
}

func scalar(_ c: PostgresConnection, _ sql: String, _ p: [String?] = []) throws -> String? {
    try c.execute(sql, p).rows.first?.first ?? nil
}

