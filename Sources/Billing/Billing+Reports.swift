import Foundation
import LegStore

/// One usage line, as stored by the close.
public struct UsageDay: Sendable, Equatable {
    public var businessDay: LocalDate
    public var legs: Int
    public var billedSeconds: Int64
    public var includedSeconds: Int64
    public var amount: Int64
    public var currency: String
    public var closeID: Int64
    public var chargeID: UUID?
}

public struct ChargeRecord: Sendable, Equatable {
    public var chargeID: UUID
    public var account: String
    public var kind: String
    public var amount: Int64
    public var currency: String
    public var status: String
    public var attempts: Int
    public var description: String
    public var processorReference: String?
    public var lastError: String?
}

public struct AccountSummary: Sendable {
    public var name: String
    public var timezone: String
    public var cutoff: String
    public var currency: String
    public var status: String
    public var plan: String
    public var cycle: String
    public var termStart: Date
    public var termEnd: Date
    public var autoRenew: Bool
    public var accessUntil: Date?
    public var nextPlan: String?
    public var card: String?
}

extension Billing {
    public func usage(account: String, from: LocalDate? = nil, to: LocalDate? = nil) throws -> [UsageDay] {
        try connection.execute("""
        SELECT business_day::text, legs, billed_seconds, included_seconds, amount, currency, close_id, charge_id
        FROM usage_days WHERE account = $1 AND ($2::date IS NULL OR business_day >= $2) AND ($3::date IS NULL OR business_day <= $3)
        ORDER BY business_day
        """, [account, from?.description, to?.description]).rows.map { r in
            UsageDay(businessDay: LocalDate(r[0]!)!, legs: Int(r[1]!)!, billedSeconds: Int64(r[2]!)!, includedSeconds: Int64(r[3]!)!,
                     amount: Int64(r[4]!)!, currency: r[5]!, closeID: Int64(r[6]!)!, chargeID: r[7].flatMap(UUID.init(uuidString:)))
        }
    }

    public func charges(account: String? = nil, status: String? = nil) throws -> [ChargeRecord] {
        try connection.execute("""
        SELECT charge_id, account, kind, amount, currency, status, attempts, description, processor_reference, last_error
        FROM charges WHERE ($1::text IS NULL OR account = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at, account, kind, charge_id
        """, [account, status]).rows.map { r in
            ChargeRecord(chargeID: UUID(uuidString: r[0]!)!, account: r[1]!, kind: r[2]!, amount: Int64(r[3]!)!, currency: r[4]!,
                         status: r[5]!, attempts: Int(r[6]!)!, description: r[7]!, processorReference: r[8], lastError: r[9])
        }
    }

    public func account(_ name: String) throws -> AccountSummary {
        guard let r = try connection.execute("""
        SELECT a.name, a.timezone, to_char(a.business_day_cutoff, 'HH24:MI'), a.currency, a.status, s.plan_id, s.cycle,
               \(PG.micros("s.term_start")), \(PG.micros("s.term_end")), s.auto_renew, \(PG.micros("s.access_until")),
               s.next_plan_id, p.brand || ' ending ' || p.last4 || ' exp ' || p.exp_month || '/' || p.exp_year
        FROM accounts a JOIN subscriptions s ON s.account = a.name LEFT JOIN payment_methods p ON p.account = a.name
        WHERE a.name = $1
        """, [name]).rows.first else { throw BillingError.notFound("no account \(name)") }
        return AccountSummary(name: r[0]!, timezone: r[1]!, cutoff: r[2]!, currency: r[3]!, status: r[4]!, plan: r[5]!, cycle: r[6]!,
                              termStart: PG.date(micros: r[7])!, termEnd: PG.date(micros: r[8])!, autoRenew: r[9] == "t",
                              accessUntil: PG.date(micros: r[10]), nextPlan: r[11], card: r[12])
    }

    /// The month's statement as the customer sees it: access and number fees raised in the
    /// month, usage by business day, totals and payments, in the account's currency.
    /// `month` is "YYYY-MM" in the account's timezone.
    public func statement(account name: String, month: String) throws -> String {
        let p = month.split(separator: "-")
        guard p.count == 2, let y = Int(p[0]), let m = Int(p[1]), (1...12).contains(m) else {
            throw BillingError.invalid("month must be YYYY-MM")
        }
        let a = try account(name)
        guard let cal = BusinessCalendar(timeZone: a.timezone, cutoff: "00:00") else { throw BillingError.invalid("bad timezone") }
        let first = LocalDate(year: y, month: m, day: 1)
        let next = m == 12 ? LocalDate(year: y + 1, month: 1, day: 1) : LocalDate(year: y, month: m + 1, day: 1)
        let from = cal.start(of: first), to = cal.start(of: next)
        let last = cal.adding(-1, to: next)
        let plan = try connection.execute("SELECT name FROM plans WHERE plan_id = $1", [a.plan]).rows.first?[0] ?? a.plan
        let money = { (v: Int64) in Money.format(v, currency: a.currency) }
        func line(_ left: String, _ amount: Int64) -> String {
            let right = money(amount)
            return left.padding(toLength: max(left.count, 60 - right.count), withPad: " ", startingAt: 0) + right
        }

        var out = ["Statement for \(a.name), \(first.description.prefix(7)) (\(a.timezone), \(a.currency))",
                   "Plan: \(plan), \(a.cycle)\(a.accessUntil.map { ", cancelled: access until \(ISO8601DateFormatter().string(from: $0))" } ?? "")",
                   ""]
        let fees = try connection.execute("""
        SELECT kind, description, amount, status FROM charges
        WHERE account = $1 AND kind IN ('access', 'number-fee') AND created_at >= $2 AND created_at < $3
        ORDER BY created_at, kind
        """, [name, PG.time(from), PG.time(to)]).rows
        var feesTotal: Int64 = 0
        out.append("Access fees")
        for f in fees where f[0] == "access" { out.append(line("  " + f[1]!, Int64(f[2]!)!)); feesTotal += Int64(f[2]!)! }
        if !fees.contains(where: { $0[0] == "access" }) { out.append("  (none)") }
        out.append("Numbers")
        for f in fees where f[0] == "number-fee" { out.append(line("  " + f[1]!, Int64(f[2]!)!)); feesTotal += Int64(f[2]!)! }
        if !fees.contains(where: { $0[0] == "number-fee" }) { out.append("  (none)") }

        out.append("Usage by business day")
        let days = try usage(account: name, from: first, to: last)
        var usageTotal: Int64 = 0, minutes: Int64 = 0
        for d in days where d.legs > 0 || d.amount > 0 {
            let billedMin = (d.billedSeconds + 59) / 60, freeMin = d.includedSeconds / 60
            let detail = "  \(d.businessDay)  \(d.legs) call legs, \(billedMin) min" + (d.includedSeconds > 0 ? " (\(freeMin) included)" : "")
            out.append(line(detail, d.amount))
            usageTotal += d.amount
            minutes += billedMin
        }
        if usageTotal == 0 && !days.contains(where: { $0.legs > 0 }) { out.append("  (no calls)") }
        out.append(line("  Usage total (\(minutes) min)", usageTotal))
        out.append("")
        out.append(line("Total charges", feesTotal + usageTotal))
        let paid = try connection.execute("""
        SELECT coalesce(sum(-amount), 0) FROM ledger WHERE account = $1 AND kind = 'payment' AND at >= $2 AND at < $3
        """, [name, PG.time(from), PG.time(to)]).rows[0][0].flatMap { Int64($0) } ?? 0
        out.append(line("Payments received", paid))
        out.append("No refunds are given; plan changes take effect at the next renewal.")
        return out.joined(separator: "\n") + "\n"
    }
}
