import Foundation
import Testing
@testable import Dialplan

/// Schedule branches in the account's timezone, across DST changes and holidays.
@Suite struct ScheduleTests {
    static let text = """
    account: shop
    timezone: America/New_York
    numbers:
      "+12125550100": { plan: hours }
    plans:
      hours:
        schedule:
          branches:
            open: { days: [mon-fri], hours: "08:00-18:00", plan: desk }
            weekend: { days: [sat-sun], hours: ["10:00-12:00", "13:00-24:00"], plan: desk }
          holidays: { dates: ["2026-12-25", "2027-01-01"], plan: closed }
          default: closed
      desk:
        ring-all: { targets: ["sip:desk@pbx.shop.example"] }
      closed:
        ring-all: { targets: ["sip:voicemail@pbx.shop.example"] }
    """

    static func schedule() throws -> SchedulePlan {
        let dir = try TempDialplans(["shop.yaml": text])
        defer { dir.cleanup() }
        let table = try #require(dir.load().table)
        guard case .schedule(let schedule) = table.lookup(e164: "+12125550100")!.plan.kind else { throw CancellationError() }
        return schedule
    }

    @Test(arguments: [
        // Spring forward is 2026-03-08: 08:00 local is 13:00Z before, 12:00Z after.
        ("2026-03-06T12:30:00Z", "default"),   // Fri 07:30 EST
        ("2026-03-06T13:30:00Z", "open"),      // Fri 08:30 EST
        ("2026-03-09T12:30:00Z", "open"),      // Mon 08:30 EDT (the same UTC time was closed last week)
        ("2026-03-09T22:30:00Z", "default"),   // Mon 18:30 EDT: the end is exclusive
        ("2026-03-09T21:59:00Z", "open"),      // Mon 17:59 EDT
        // Fall back is 2026-11-01.
        ("2026-11-02T12:30:00Z", "default"),   // Mon 07:30 EST
        ("2026-11-02T13:30:00Z", "open"),      // Mon 08:30 EST
        ("2026-11-01T05:30:00Z", "default"),   // Sun 01:30 EDT, the first pass of the repeated hour
        ("2026-11-01T06:30:00Z", "default"),   // Sun 01:30 EST, the second pass
        ("2026-11-01T15:30:00Z", "weekend"),   // Sun 10:30 EST
        ("2026-03-07T15:00:00Z", "weekend"),   // Sat 10:00 EST
        ("2026-03-07T17:30:00Z", "default"),   // Sat 12:30 EST: the lunch gap
        ("2026-03-08T04:59:00Z", "weekend"),   // Sat 23:59 EST (range to 24:00)
        // Holidays are local dates: 03:00Z on the 26th is still the 25th in New York.
        ("2026-12-25T15:00:00Z", "holiday"),
        ("2026-12-26T03:00:00Z", "holiday"),
        ("2026-12-25T04:00:00Z", "default"),   // Thu 23:00 on the 24th
        ("2027-01-01T14:00:00Z", "holiday"),
    ])
    func branch(at time: String, expected: String) throws {
        let choice = try Self.schedule().branch(at: utc(time))
        #expect(choice.branch == expected, "\(choice.localTime): \(choice.reason)")
        #expect(choice.plan?.name == (expected == "open" || expected == "weekend" ? "desk" : "closed"))
    }

    @Test func localTimeShowsZoneAbbreviation() throws {
        let schedule = try Self.schedule()
        #expect(schedule.branch(at: utc("2026-03-06T13:30:00Z")).localTime == "2026-03-06 08:30 fri UTC-05:00")
        #expect(schedule.branch(at: utc("2026-03-09T12:30:00Z")).localTime == "2026-03-09 08:30 mon UTC-04:00")
    }

    @Test func durations() {
        #expect(PlanDuration.seconds("20s") == 20)
        #expect(PlanDuration.seconds("5m") == 300)
        #expect(PlanDuration.seconds("1h") == 3600)
        #expect(PlanDuration.seconds("1m30s") == 90)
        #expect(PlanDuration.seconds("20") == nil)
        #expect(PlanDuration.seconds("0s") == nil)
        #expect(PlanDuration.seconds("-5s") == nil)
        #expect(PlanDuration.format(90) == "1m30s")
    }
}
