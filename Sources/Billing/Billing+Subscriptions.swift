import Foundation
import LegStore

/// Billing cycle of a subscription.
public enum BillingCycle: String, Sendable, CaseIterable {
    case monthly, annual
    var months: Int { self == .monthly ? 1 : 12 }
}

/// The card on file, as the processor gave it to us: a token, never the number.
public struct PaymentMethod: Sendable {
    public var processorToken: String
    public var brand: String
    public var last4: String
    public var expMonth: Int
    public var expYear: Int

    public init(processorToken: String, brand: String, last4: String, expMonth: Int, expYear: Int) {
        self.processorToken = processorToken
        self.brand = brand
        self.last4 = last4
        self.expMonth = expMonth
        self.expYear = expYear
    }

    /// Refuses anything that may be a card number (in the token, anywhere) and malformed fields.
    public func validate() throws {
        guard !CardNumber.containsCardNumber(processorToken) else {
            throw BillingError.invalid("the payment token looks like a card number; store the processor's token only")
        }
        guard (3...255).contains(processorToken.count) else { throw BillingError.invalid("bad payment token length") }
        guard last4.count == 4, last4.allSatisfy(\.isASCII), last4.allSatisfy(\.isNumber) else {
            throw BillingError.invalid("last4 must be 4 digits")
        }
        guard (1...12).contains(expMonth), (2000...2100).contains(expYear) else { throw BillingError.invalid("bad card expiry") }
        guard !brand.isEmpty, brand.count <= 20, brand.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") }) else {
            throw BillingError.invalid("brand must be lowercase letters (visa, mastercard, amex…)")
        }
    }
}

/// A new account with its first subscription term.
public struct NewAccount: Sendable {
    public var name: String
    public var timezone: String
    public var cutoff: String = "00:00"
    public var currency: String = "USD"
    public var plan: String
    public var cycle: BillingCycle = .monthly
    /// When the first term starts (default: now).
    public var start: Date? = nil
    public var processorCustomer: String? = nil
    public var paymentMethod: PaymentMethod? = nil
    public var numbers: [String] = []

    public init(name: String, timezone: String, plan: String, cycle: BillingCycle = .monthly) {
        self.name = name
        self.timezone = timezone
        self.plan = plan
        self.cycle = cycle
    }
}

extension Billing {
    /// Creates the account, its subscription and first term, and the first term's access and
    /// number-fee charges (pending; sent by the next close or `sendDueCharges`).
    public func createAccount(_ a: NewAccount) throws {
        guard !a.name.isEmpty, a.name.count <= 100 else { throw BillingError.invalid("bad account name") }
        guard BusinessCalendar(timeZone: a.timezone, cutoff: a.cutoff) != nil else {
            throw BillingError.invalid("unknown timezone \(a.timezone) or bad cut-off \(a.cutoff) (HH:MM)")
        }
        try a.paymentMethod?.validate()
        let start = a.start ?? Date()
        try transaction {
            try checkPlan(a.plan, currency: a.currency)
            try connection.execute("""
            INSERT INTO accounts (name, timezone, business_day_cutoff, currency, processor_customer, created_at)
            VALUES ($1, $2, $3::time, $4, $5, $6)
            """, [a.name, a.timezone, a.cutoff, a.currency.uppercased(), a.processorCustomer, PG.time(start)])
            try connection.execute("""
            INSERT INTO subscriptions (account, plan_id, cycle, anchor, anchor_term, term_number, term_start, term_end)
            VALUES ($1, $2, $3, $4, 0, 0, $4, ($4::timestamptz AT TIME ZONE $5 + make_interval(months => $6::int)) AT TIME ZONE $5)
            """, [a.name, a.plan, a.cycle.rawValue, PG.time(start), a.timezone, String(a.cycle.months)])
            try connection.execute("""
            INSERT INTO subscription_terms (account, term_number, term_start, term_end, plan_id, cycle)
            SELECT account, term_number, term_start, term_end, plan_id, cycle FROM subscriptions WHERE account = $1
            """, [a.name])
            for n in a.numbers {
                try connection.execute("INSERT INTO account_numbers (account, number, added_at) VALUES ($1, $2, $3)",
                                       [a.name, n, PG.time(start)])
            }
            if let pm = a.paymentMethod { try setPaymentMethodInTransaction(account: a.name, pm) }
            try connection.execute(Self.termChargesSQL, [PG.time(start), a.name])
        }
    }

    func checkPlan(_ plan: String, currency: String?) throws {
        guard let row = try connection.execute("SELECT currency FROM plans WHERE plan_id = $1", [plan]).rows.first else {
            throw BillingError.notFound("no plan \(plan)")
        }
        if let currency, row[0] != currency.uppercased() {
            throw BillingError.invalid("plan \(plan) is priced in \(row[0] ?? "?"), the account in \(currency)")
        }
    }

    /// Stores (replaces) the card on file. Refuses card numbers (here and in the database).
    public func setPaymentMethod(account: String, _ pm: PaymentMethod) throws {
        try pm.validate()
        try transaction { try setPaymentMethodInTransaction(account: account, pm) }
    }

    private func setPaymentMethodInTransaction(account: String, _ pm: PaymentMethod) throws {
        try connection.execute("""
        INSERT INTO payment_methods (account, processor_token, brand, last4, exp_month, exp_year)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (account) DO UPDATE SET processor_token = EXCLUDED.processor_token, brand = EXCLUDED.brand,
            last4 = EXCLUDED.last4, exp_month = EXCLUDED.exp_month, exp_year = EXCLUDED.exp_year, updated_at = now()
        """, [account, pm.processorToken, pm.brand, pm.last4, String(pm.expMonth), String(pm.expYear)])
    }

    /// A plan change (through support): takes effect at the next renewal; nothing is
    /// refunded or prorated.
    public func setPlan(account: String, plan: String, cycle: BillingCycle? = nil) throws {
        try transaction {
            let cur = try connection.execute("SELECT currency FROM accounts WHERE name = $1", [account]).rows
            guard let currency = cur.first?[0] else { throw BillingError.notFound("no account \(account)") }
            try checkPlan(plan, currency: currency)
            try connection.execute("UPDATE subscriptions SET next_plan_id = $2, next_cycle = $3 WHERE account = $1",
                                   [account, plan, cycle?.rawValue])
        }
    }

    /// Cancels at `at`: no more renewals; access lasts to the end of the paid term. No refund.
    /// Returns the end of access.
    @discardableResult
    public func cancel(account: String, at: Date = Date()) throws -> Date {
        try transaction {
            let r = try connection.execute("""
            UPDATE subscriptions SET auto_renew = false, cancelled_at = coalesce(cancelled_at, $2),
                   access_until = coalesce(access_until, term_end)
            WHERE account = $1 RETURNING \(PG.micros("access_until"))
            """, [account, PG.time(at)])
            guard let until = PG.date(micros: r.rows.first?[0] ?? nil) else { throw BillingError.notFound("no account \(account)") }
            try connection.execute("UPDATE accounts SET status = 'cancelled' WHERE name = $1 AND status <> 'ended'", [account])
            return until
        }
    }

    /// Renews every due subscription (or one account's) at `at` and sends due charges.
    @discardableResult
    public func renew(at: Date, account: String? = nil) throws -> (renewals: Int, charges: SendReport) {
        let n = try transaction { () -> Int in
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(Self.closeLockKey)])
            return try renewDue(at: at, account: account)
        }
        return (n, try sendDueCharges(at: at))
    }

    /// Moves every due term forward (several steps if the timer missed some), inside the
    /// caller's transaction. Each step is one set-based statement.
    func renewDue(at: Date, account: String?) throws -> Int {
        var total = 0
        for _ in 0..<240 {
            let r = try connection.execute(Self.renewSQL, [PG.time(at), account])
            let n = Int(r.rows.first?[0] ?? "0") ?? 0
            total += n
            if n == 0 { break }
            // The new terms' access and number-fee charges (before the next step moves on).
            try connection.execute(Self.termChargesSQL, [PG.time(at), account])
        }
        return total
    }

    /// One renewal step: subscriptions whose term ended by $1, renewing, move to the next
    /// term (applying a pending plan or cycle change; a cycle change re-anchors), record the
    /// term, and raise its charges (idempotent: charge ids are derived from account and term).
    static let renewSQL = """
    WITH due AS (
        SELECT s.account, a.timezone, s.term_number + 1 AS k, s.term_end AS new_start,
               coalesce(s.next_plan_id, s.plan_id) AS new_plan, coalesce(s.next_cycle, s.cycle) AS new_cycle,
               CASE WHEN coalesce(s.next_cycle, s.cycle) <> s.cycle THEN s.term_end ELSE s.anchor END AS new_anchor,
               CASE WHEN coalesce(s.next_cycle, s.cycle) <> s.cycle THEN s.term_number + 1 ELSE s.anchor_term END AS new_anchor_term
        FROM subscriptions s JOIN accounts a ON a.name = s.account
        WHERE s.term_end <= $1 AND s.auto_renew AND s.cancelled_at IS NULL AND a.status <> 'ended'
          AND ($2::text IS NULL OR s.account = $2)
        FOR UPDATE OF s
    ),
    upd AS (
        UPDATE subscriptions s SET
            term_number = d.k, term_start = d.new_start, plan_id = d.new_plan, cycle = d.new_cycle,
            anchor = d.new_anchor, anchor_term = d.new_anchor_term, next_plan_id = NULL, next_cycle = NULL,
            term_end = (d.new_anchor AT TIME ZONE d.timezone
                        + make_interval(months => (d.k + 1 - d.new_anchor_term)
                                                  * CASE d.new_cycle WHEN 'annual' THEN 12 ELSE 1 END)) AT TIME ZONE d.timezone
        FROM due d WHERE s.account = d.account
        RETURNING s.account, s.term_number, s.term_start, s.term_end, s.plan_id, s.cycle
    ),
    terms AS (
        INSERT INTO subscription_terms (account, term_number, term_start, term_end, plan_id, cycle)
        SELECT account, term_number, term_start, term_end, plan_id, cycle FROM upd
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) FROM upd
    """

    /// Raises the current term's access and number-fee charges for accounts whose term
    /// started at or before $1 and has none yet ($2: one account or all). Idempotent.
    static let termChargesSQL = """
    WITH cur AS (
        SELECT s.account, s.term_number, s.term_start, s.cycle, a.currency, p.name AS plan_name, p.has_access_fee,
               CASE s.cycle WHEN 'annual' THEN p.annual_price ELSE p.monthly_price END AS access_price,
               p.number_monthly_fee * CASE s.cycle WHEN 'annual' THEN 12 ELSE 1 END AS number_fee,
               (SELECT count(*) FROM account_numbers n WHERE n.account = s.account AND n.added_at <= s.term_start
                  AND (n.removed_at IS NULL OR n.removed_at > s.term_start)) AS numbers
        FROM subscriptions s JOIN accounts a ON a.name = s.account JOIN plans p ON p.plan_id = s.plan_id
        WHERE s.term_start <= $1 AND ($2::text IS NULL OR s.account = $2) AND a.status <> 'ended'
    ),
    wanted AS (
        SELECT md5('access:' || account || ':' || term_number)::uuid AS charge_id, account, 'access' AS kind,
               access_price AS amount, currency, plan_name || ' ' || cycle || ' access, term from '
               || to_char(term_start, 'YYYY-MM-DD') AS description, term_number
        FROM cur WHERE has_access_fee AND access_price > 0
        UNION ALL
        SELECT md5('numbers:' || account || ':' || term_number)::uuid, account, 'number-fee', number_fee * numbers, currency,
               numbers || ' tracking number(s), ' || cycle || ', term from ' || to_char(term_start, 'YYYY-MM-DD'), term_number
        FROM cur WHERE number_fee * numbers > 0
    ),
    ins AS (
        INSERT INTO charges (charge_id, account, kind, amount, currency, description, created_at, term_number)
        SELECT charge_id, account, kind, amount, currency, description, $1, term_number FROM wanted
        ON CONFLICT (charge_id) DO NOTHING
        RETURNING *
    ),
    entries AS (
        INSERT INTO ledger (at, account, kind, amount, currency, charge_id, description)
        SELECT $1, account, kind, amount, currency, charge_id, description FROM ins
        ON CONFLICT (charge_id, kind) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM ins
    """
}
