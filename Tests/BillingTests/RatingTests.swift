import Billing
import Foundation
import SIPTestKit
import Testing

@Suite struct RatingTests {
    /// Direct calculation: the smallest billable amount ≥ max(d, minimum) of the form
    /// first + k·next (k ≥ 0), found by stepping rather than by formula.
    static func reference(_ d: Int, _ inc: RatingIncrements) -> Int {
        if d <= 0 { return 0 }
        let need = max(d, inc.minimum)
        var billed = inc.first
        while billed < need { billed += inc.next }
        return billed
    }

    @Test func billedSecondsMatchesDirectCalculationForRandomDurationsAndIncrements() {
        var rng = SplitMix64(seed: 0x5EED_B111)
        let presets = [RatingIncrements(first: 60, next: 60), RatingIncrements(first: 6, next: 6),
                       RatingIncrements(first: 30, next: 6), RatingIncrements(first: 1, next: 1)]
        for i in 0..<20_000 {
            let inc = i < 4_000 ? presets[i % 4]
                : RatingIncrements(first: Int.random(in: 1...120, using: &rng), next: Int.random(in: 1...120, using: &rng),
                                   minimum: Int.random(in: 0...180, using: &rng))
            let d = Int.random(in: -5...20_000, using: &rng)
            let got = Rating.billedSeconds(duration: d, inc)
            #expect(got == Self.reference(d, inc), "d=\(d) inc=\(inc)")
            if d > 0 {
                #expect(got >= d && got >= inc.minimum)
                #expect(got == inc.first || (got - inc.first) % inc.next == 0)
            }
        }
    }

    @Test func knownValues() {
        let m = RatingIncrements(first: 60, next: 60), s6 = RatingIncrements(first: 6, next: 6), f30 = RatingIncrements(first: 30, next: 6)
        #expect(Rating.billedSeconds(duration: 0, m) == 0)
        #expect(Rating.billedSeconds(duration: 1, m) == 60)
        #expect(Rating.billedSeconds(duration: 60, m) == 60)
        #expect(Rating.billedSeconds(duration: 61, m) == 120)
        #expect(Rating.billedSeconds(duration: 7, s6) == 12)
        #expect(Rating.billedSeconds(duration: 29, f30) == 30)
        #expect(Rating.billedSeconds(duration: 31, f30) == 36)
        #expect(Rating.billedSeconds(duration: 5, RatingIncrements(first: 1, next: 1, minimum: 60)) == 60)
        // Duration: started seconds count; unanswered is zero.
        #expect(Rating.durationSeconds(answeredMicros: nil, endedMicros: 5_000_000) == 0)
        #expect(Rating.durationSeconds(answeredMicros: 1_000_000, endedMicros: 1_000_000) == 0)
        #expect(Rating.durationSeconds(answeredMicros: 1_000_000, endedMicros: 1_000_001) == 1)
        #expect(Rating.durationSeconds(answeredMicros: 0, endedMicros: 60_000_000) == 60)
        // 90 s at 1.25 ¢/min = 1.875 ¢ = 1 875 000 µ¢; 7 s at 1 µ¢/min rounds half up.
        #expect(Rating.costMicros(seconds: 90, pricePerMinuteMicros: 1_250_000) == 1_875_000)
        #expect(Rating.costMicros(seconds: 30, pricePerMinuteMicros: 1) == 1)
        #expect(Rating.costMicros(seconds: 29, pricePerMinuteMicros: 1) == 0)
        #expect(Rating.minorUnits(micros: 1_499_999) == 1)
        #expect(Rating.minorUnits(micros: 1_500_000) == 2)
    }

    @Test func cardNumbersAreDetectedAnywhereInAToken() {
        #expect(CardNumber.containsCardNumber("4242424242424242"))
        #expect(CardNumber.containsCardNumber("tok_4111111111111111_x"))
        #expect(CardNumber.containsCardNumber("4242 4242 4242 4242"))
        #expect(CardNumber.containsCardNumber("pm-5555-5555-5555-4444"))
        #expect(CardNumber.containsCardNumber("378282246310005"))       // Amex, 15
        #expect(CardNumber.containsCardNumber("abc 9 4111111111111111 9 xyz"))
        #expect(!CardNumber.containsCardNumber("pm_1NqXyZ2eZvKYlo2C0abcdEFG"))
        #expect(!CardNumber.containsCardNumber("4242424242424241"))     // fails Luhn
        #expect(!CardNumber.containsCardNumber("pm_12345678901"))       // 11 digits
        // A Luhn-valid 16-digit number embedded in a longer run is still caught.
        #expect(CardNumber.containsCardNumber("x99424242424242424299x") == CardNumber.containsCardNumber("99424242424242424299"))
        #expect(CardNumber.containsCardNumber("99424242424242424299"))
        #expect(throws: BillingError.self) {
            try PaymentMethod(processorToken: "4000056655665556", brand: "visa", last4: "5556", expMonth: 1, expYear: 2030).validate()
        }
        #expect(throws: Never.self) {
            try PaymentMethod(processorToken: "pm_card_visa", brand: "visa", last4: "4242", expMonth: 1, expYear: 2030).validate()
        }
    }

    @Test func moneyFormatsMinorUnitsWithoutFloats() {
        #expect(Money.format(12345, currency: "USD") == "$123.45")
        #expect(Money.format(5, currency: "USD") == "$0.05")
        #expect(Money.format(-5, currency: "GBP") == "-£0.05")
        #expect(Money.format(123_456_789, currency: "EUR") == "€1,234,567.89")
        #expect(Money.format(1500, currency: "JPY") == "¥1,500")
        #expect(Money.format(1_234_560, currency: "KWD") == "1,234.560 KWD")
        #expect(Money.format(Int64.max, currency: "CHF") == "92,233,720,368,547,758.07 CHF")
    }

    @Test func daylightSavingBusinessDaysAre23And25Hours() throws {
        let cal = try #require(BusinessCalendar(timeZone: "America/New_York"))
        let spring = LocalDate(year: 2026, month: 3, day: 8), fall = LocalDate(year: 2026, month: 11, day: 1)
        #expect(cal.end(of: spring).timeIntervalSince(cal.start(of: spring)) == 23 * 3600)
        #expect(cal.end(of: fall).timeIntervalSince(cal.start(of: fall)) == 25 * 3600)
        #expect(cal.end(of: LocalDate(year: 2026, month: 3, day: 9)).timeIntervalSince(cal.start(of: LocalDate(year: 2026, month: 3, day: 9))) == 24 * 3600)
        #expect(cal.start(of: fall) == t("2026-11-01T04:00:00Z"))
        #expect(cal.end(of: fall) == t("2026-11-02T05:00:00Z"))
        // 01:30 local happens twice on 2026-11-01; both belong to that day.
        #expect(cal.businessDay(containing: t("2026-11-01T05:30:00Z")) == fall)
        #expect(cal.businessDay(containing: t("2026-11-01T06:30:00Z")) == fall)
        #expect(cal.businessDay(containing: t("2026-11-02T04:59:59Z")) == fall)
        #expect(cal.lastEndedDay(at: t("2026-11-02T05:00:00Z")) == fall)
        #expect(cal.lastEndedDay(at: t("2026-11-02T04:59:59Z")) == LocalDate(year: 2026, month: 10, day: 31))
        // A 06:00 cut-off: the night's calls belong to the previous business day.
        let late = try #require(BusinessCalendar(timeZone: "Europe/London", cutoff: "06:00"))
        #expect(late.businessDay(containing: t("2026-06-10T04:59:00Z")) == LocalDate(year: 2026, month: 6, day: 9))
        #expect(late.businessDay(containing: t("2026-06-10T05:00:00Z")) == LocalDate(year: 2026, month: 6, day: 10))
        // A cut-off inside the spring-forward gap (02:30 on 2026-03-08 does not exist) moves forward.
        let gap = try #require(BusinessCalendar(timeZone: "America/New_York", cutoff: "02:30"))
        #expect(gap.start(of: spring) == t("2026-03-08T07:30:00Z"))
        #expect(LocalDate(year: 2026, month: 11, day: 5).lastOfMonth.description == "2026-11-30")
        #expect(LocalDate(year: 2028, month: 2, day: 1).lastOfMonth.day == 29)
        #expect(LocalDate(year: 2100, month: 2, day: 1).lastOfMonth.day == 28)
        #expect(BusinessCalendar(timeZone: "Mars/Olympus") == nil)
        #expect(BusinessCalendar(timeZone: "UTC", cutoff: "25:00") == nil)
    }
}
