import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
import Postgres

/// Tracking numbers added to and removed from an account after it was created: each term's
/// number fee counts the numbers on the account when the term starts (no proration, no
/// refund), a removed number can come back, and bad input changes nothing.
@Suite(.postgres) struct NumberTests {
    @Test func numberFeesFollowTheNumbersOnTheAccountAtEachTermStart() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        // small-teams: 300 per number and month. Terms start Nov 1, Dec 1, Jan 1 (New York).
        try makeAccount(b, "acme", start: t("2026-11-01T04:00:00Z"), numbers: ["+18005550100"])
        #expect(try b.addNumbers(account: "acme", ["+18005550101", "+18005550102", "+18005550100"], at: t("2026-11-10T12:00:00Z")) == 2)
        #expect(try b.numbers(account: "acme", at: t("2026-11-05T12:00:00Z")) == ["+18005550100"])
        #expect(try b.numbers(account: "acme", at: t("2026-11-11T12:00:00Z")) == ["+18005550100", "+18005550101", "+18005550102"])
        #expect(try b.renew(at: t("2026-12-01T12:00:00Z")).renewals == 1)
        try b.removeNumbers(account: "acme", ["+18005550101"], at: t("2026-12-15T12:00:00Z"))
        #expect(try b.renew(at: t("2027-01-01T12:00:00Z")).renewals == 1)
        // One number in November's fee (added mid-term numbers wait for the renewal), three in
        // December's, two in January's (the removal is not refunded for December).
        let fees = try rows(c, "SELECT amount FROM charges WHERE kind = 'number-fee' ORDER BY created_at, amount").map { $0[0]! }
        #expect(fees == ["300", "900", "600"])

        // A removed number comes back.
        #expect(try b.addNumbers(account: "acme", ["+18005550101"], at: t("2027-01-10T12:00:00Z")) == 1)
        #expect(try b.numbers(account: "acme", at: t("2027-01-11T12:00:00Z")) == ["+18005550100", "+18005550101", "+18005550102"])
    }

    @Test func badInputChangesNothing() throws {
        let url = try DB.database()
        let b = try billing(url)
        try makeAccount(b, "acme", start: t("2026-11-01T04:00:00Z"), numbers: ["+18005550100", "+18005550101"])
        // One unknown number in the list: the whole removal is refused, the others stay.
        #expect(throws: BillingError.notFound("+18005559999 is not on account acme")) {
            try b.removeNumbers(account: "acme", ["+18005550100", "+18005559999"], at: t("2026-11-10T12:00:00Z"))
        }
        #expect(try b.numbers(account: "acme", at: t("2026-11-11T12:00:00Z")) == ["+18005550100", "+18005550101"])
        #expect(throws: BillingError.invalid("0800 555 0100 is not an E.164 number (+ and up to 15 digits)")) {
            try b.addNumbers(account: "acme", ["0800 555 0100"])
        }
        #expect(throws: BillingError.notFound("no account nobody")) { try b.addNumbers(account: "nobody", ["+18005550100"]) }
    }
}
