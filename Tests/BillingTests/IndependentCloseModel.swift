import Foundation
import LegStore
import Postgres

/// An independent recomputation of the business-day close, written from docs/billing.md
/// (not from the close's SQL, and without the Billing module's calendar or rating code):
/// reads the inputs back from the database (accounts, terms, plans, rates, legs) and says
/// what every usage line, leg rating and usage charge must be (issue 14, item 6).
struct IndependentCloseModel {
    struct Line: Equatable, CustomStringConvertible {
        var account: String, day: String, start: Int64, end: Int64, legs: Int, billed: Int64, free: Int64, micros: Int64, amount: Int64
        var description: String { "\(account) \(day) [\(start), \(end)) legs \(legs) billed \(billed) free \(free) micros \(micros) amount \(amount)" }
    }
    struct LegRating: Equatable, CustomStringConvertible {
        var day: String, billed: Int64, free: Int64, micros: Int64
        var description: String { "\(day) \(billed)/\(free)/\(micros)" }
    }

    var lines: [String: Line] = [:]        // "account day"
    var legs: [String: LegRating] = [:]    // leg_id (lower case)
    /// "account amount" of every term's access fee (monthly terms only in these tests).
    var accessFees: [String] = []

    private struct Rate { var prefix: String, price: Int64, first: Int64, next: Int64, minimum: Int64, included: Bool }
    private struct Term { var start: Int64, end: Int64, plan: String }

    /// The model's bill for a close at `at` (every day ended by then closed), µs times.
    init(_ c: PostgresConnection, at: Date) throws {
        func q(_ sql: String) throws -> [[String?]] { try c.execute(sql).rows }
        func us(_ col: String) -> String { "(extract(epoch FROM \(col)) * 1000000)::bigint" }
        let atUS = Int64((at.timeIntervalSince1970 * 1_000_000).rounded())
        var included: [String: Int64] = [:]
        var accessFee: [String: Int64] = [:]
        for r in try q("SELECT plan_id, included_minutes, has_access_fee, monthly_price FROM plans") {
            included[r[0]!] = Int64(r[1]!)! * 60
            accessFee[r[0]!] = r[2] == "t" ? Int64(r[3]!)! : 0
        }
        var rates: [String: [Rate]] = [:]  // "plan direction"
        for r in try q("SELECT plan_id, direction, prefix, price_per_minute_micros, first_increment, next_increment, minimum_seconds, included FROM rates") {
            rates[r[0]! + " " + r[1]!, default: []].append(Rate(prefix: r[2]!, price: Int64(r[3]!)!, first: Int64(r[4]!)!, next: Int64(r[5]!)!,
                                                               minimum: Int64(r[6]!)!, included: r[7] == "t"))
        }
        var terms: [String: [Term]] = [:]
        for r in try q("SELECT account, \(us("term_start")), \(us("term_end")), plan_id FROM subscription_terms ORDER BY term_start") {
            terms[r[0]!, default: []].append(Term(start: Int64(r[1]!)!, end: Int64(r[2]!)!, plan: r[3]!))
        }
        struct Leg { var id: String, direction: String, target: String, tracking: String, answered: Int64?, ended: Int64 }
        var legsOf: [String: [Leg]] = [:]
        for r in try q("SELECT account, leg_id, direction, coalesce(target, ''), coalesce(tracking_number, ''), \(us("answered_at")), \(us("ended_at")) FROM call_legs") {
            legsOf[r[0]!, default: []].append(Leg(id: r[1]!.lowercased(), direction: r[2]!, target: r[3]!, tracking: r[4]!,
                                                  answered: r[5].flatMap { Int64($0) }, ended: Int64(r[6]!)!))
        }
        for a in try q("SELECT a.name, a.timezone, a.business_day_cutoff::text, \(us("a.created_at")), s.plan_id, \(us("s.access_until")) FROM accounts a JOIN subscriptions s ON s.account = a.name") {
            let name = a[0]!
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: a[1]!)!
            let hm = a[2]!.split(separator: ":").map { Int($0)! }
            // "Business day D runs from D at its cut-off (local wall time) to D+1 at the cut-off."
            func start(_ d: DateComponents) -> Int64 {
                var c = d
                c.hour = hm[0]; c.minute = hm[1]; c.second = 0
                return Int64((cal.date(from: c)!.timeIntervalSince1970 * 1_000_000).rounded())
            }
            func dayOf(_ instant: Int64) -> DateComponents {
                let date = Date(timeIntervalSince1970: Double(instant) / 1_000_000)
                var d = cal.dateComponents([.year, .month, .day], from: date)
                if instant < start(d) { d = cal.dateComponents([.year, .month, .day], from: cal.date(byAdding: .day, value: -1, to: cal.date(from: d)!)!) }
                return d
            }
            func next(_ d: DateComponents) -> DateComponents {
                var noon = d
                noon.hour = 12
                return cal.dateComponents([.year, .month, .day], from: cal.date(byAdding: .day, value: 1, to: cal.date(from: noon)!)!)
            }
            func label(_ d: DateComponents) -> String { String(format: "%04d-%02d-%02d", d.year!, d.month!, d.day!) }
            let accountTerms = terms[name] ?? []
            // "At each renewal the access fee for the new term is charged once (nothing on pay-as-you-go)."
            accessFees += accountTerms.compactMap { accessFee[$0.plan].flatMap { $0 > 0 ? "\(name) \($0)" : nil } }
            func planAt(_ instant: Int64) -> String {
                accountTerms.last { $0.start <= instant && instant < $0.end }?.plan ?? a[4]!
            }
            // Days to close: from the day the account started to the last one ended at `at`
            // (for an account whose access ended, to the day in which it ended).
            var last = dayOf(atUS)
            last = cal.dateComponents([.year, .month, .day], from: cal.date(byAdding: .day, value: -1, to: cal.date(from: last)!)!)
            if let until = a[5].flatMap({ Int64($0) }), until <= atUS {
                let accessLast = dayOf(until - 1)
                if label(accessLast) < label(last) { last = accessLast }
            }
            var days: [(String, Int64, Int64)] = []
            var d = dayOf(Int64(a[3]!)!)
            while label(d) <= label(last) {
                days.append((label(d), start(d), start(next(d))))
                d = next(d)
            }
            for (day, s, e) in days {
                lines[name + " " + day] = Line(account: name, day: day, start: s, end: e, legs: 0, billed: 0, free: 0, micros: 0, amount: 0)
            }
            // Rate every leg that ended in one of those days.
            var rated: [(leg: Leg, day: String, billed: Int64, price: Int64, included: Bool)] = []
            for l in legsOf[name] ?? [] {
                guard let (day, _, _) = days.first(where: { $0.1 <= l.ended && l.ended < $0.2 }) else { continue }
                let plan = planAt(l.ended)
                let dest: String
                if l.direction == "inbound" {
                    dest = l.tracking
                } else {
                    var t = Substring(l.target.lowercased())
                    for scheme in ["tel:", "sips:", "sip:"] where t.hasPrefix(scheme) { t = t.dropFirst(scheme.count); break }
                    let digits = t.hasPrefix("+") ? String(t.dropFirst().prefix(while: { $0.isASCII && $0.isNumber })) : ""
                    dest = digits.isEmpty ? "" : "+" + digits
                }
                let rate = (rates[plan + " " + l.direction] ?? []).filter { dest.hasPrefix($0.prefix) }
                    .max { $0.prefix.count < $1.prefix.count }!
                // "Duration = answered → ended, a started second counting as one."
                let duration = l.answered.map { l.ended > $0 ? (l.ended - $0 + 999_999) / 1_000_000 : 0 } ?? 0
                var billed: Int64 = 0
                if duration > 0 {
                    let d = max(duration, rate.minimum)
                    billed = d <= rate.first ? rate.first : rate.first + (d - rate.first + rate.next - 1) / rate.next * rate.next
                }
                rated.append((l, day, billed, rate.price, rate.included))
            }
            // Included minutes: per calendar month of the business day, in (day, end) order.
            rated.sort { ($0.day, $0.leg.ended, $0.leg.id) < ($1.day, $1.leg.ended, $1.leg.id) }
            var used: [String: Int64] = [:]
            for r in rated {
                let month = String(r.day.prefix(7))
                let dayStart = days.first { $0.0 == r.day }!.1
                let allowance = included[accountTerms.first { $0.start <= dayStart && dayStart < $0.end }?.plan
                                         ?? accountTerms.first?.plan ?? a[4]!] ?? 0
                var free: Int64 = 0
                if r.included && r.billed > 0 {
                    free = max(0, min(r.billed, allowance - used[month, default: 0]))
                    used[month, default: 0] += r.billed
                }
                let micros = ((r.billed - free) * r.price + 30) / 60
                legs[r.leg.id] = LegRating(day: r.day, billed: r.billed, free: free, micros: micros)
                let key = name + " " + r.day
                lines[key]!.legs += 1
                lines[key]!.billed += r.billed
                lines[key]!.free += free
                lines[key]!.micros += micros
            }
        }
        for (k, l) in lines { lines[k]!.amount = (l.micros + 500_000) / 1_000_000 }
    }

    /// Differences between the model and what the close wrote (at most `limit`).
    func differences(_ c: PostgresConnection, limit: Int = 8) throws -> [String] {
        var out: [String] = []
        let got = try c.execute("""
        SELECT account, business_day::text, (extract(epoch FROM day_start) * 1000000)::bigint, (extract(epoch FROM day_end) * 1000000)::bigint,
               legs, billed_seconds, included_seconds, amount_micros, amount FROM usage_days
        """).rows
        var seen = Set<String>()
        for r in got {
            let line = Line(account: r[0]!, day: r[1]!, start: Int64(r[2]!)!, end: Int64(r[3]!)!, legs: Int(r[4]!)!, billed: Int64(r[5]!)!,
                            free: Int64(r[6]!)!, micros: Int64(r[7]!)!, amount: Int64(r[8]!)!)
            let key = line.account + " " + line.day
            seen.insert(key)
            if lines[key] != line { out.append("line: close \(line), model \(lines[key].map(String.init(describing:)) ?? "none")") }
        }
        for k in Set(lines.keys).subtracting(seen).sorted() { out.append("line missing: model \(lines[k]!)") }
        var ratedSeen = Set<String>()
        for r in try c.execute("""
        SELECT l.leg_id, r.business_day::text, r.rated_seconds, r.free_seconds, r.micros
        FROM leg_ratings r JOIN call_legs l ON l.end_seq = r.end_seq
        """).rows {
            let id = r[0]!.lowercased()
            ratedSeen.insert(id)
            let rating = LegRating(day: r[1]!, billed: Int64(r[2]!)!, free: Int64(r[3]!)!, micros: Int64(r[4]!)!)
            if legs[id] != rating { out.append("leg \(id): close \(rating), model \(legs[id].map(String.init(describing:)) ?? "unrated")") }
        }
        for k in Set(legs.keys).subtracting(ratedSeen).sorted() { out.append("leg \(k) unrated: model \(legs[k]!)") }
        // Usage charges and their ledger debits: one per line with an amount.
        let charges = try c.execute("SELECT account, business_day::text, amount FROM charges WHERE kind = 'usage'").rows
            .map { "\($0[0]!) \($0[1]!) \($0[2]!)" }.sorted()
        let wanted = lines.values.filter { $0.amount > 0 }.map { "\($0.account) \($0.day) \($0.amount)" }.sorted()
        if charges != wanted { out.append("usage charges: close \(charges.count), model \(wanted.count): \(Set(charges).symmetricDifference(wanted).sorted().prefix(4))") }
        let debits = try c.execute("SELECT l.amount FROM ledger l JOIN charges c USING (charge_id) WHERE l.kind = 'usage' AND c.kind = 'usage'").rows
            .map { Int64($0[0]!)! }.sorted()
        let access = try c.execute("SELECT account, amount FROM charges WHERE kind = 'access'").rows.map { "\($0[0]!) \($0[1]!)" }.sorted()
        if access != accessFees.sorted() { out.append("access charges: close \(access), model \(accessFees.sorted())") }
        if debits != wanted.map({ Int64($0.split(separator: " ")[2])! }).sorted() { out.append("usage ledger entries differ from the model") }
        return Array(out.prefix(limit))
    }
}
