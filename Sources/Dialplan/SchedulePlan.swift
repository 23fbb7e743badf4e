import Foundation

/// Branch by weekday and time of day in the account's timezone, with holidays.
public struct SchedulePlan: Sendable {
    public struct Branch: Sendable {
        public let name: String
        /// Weekdays as `Calendar` numbers (1 = Sunday … 7 = Saturday).
        public let days: Set<Int>
        /// Half-open minute-of-day ranges [start, end); end may be 1440 ("24:00").
        public let hours: [ClosedOpenMinutes]
        public let plan: Plan
    }

    public struct ClosedOpenMinutes: Sendable, Hashable {
        public let start: Int
        public let end: Int
        public func contains(_ minute: Int) -> Bool { minute >= start && minute < end }
        public var description: String { "\(Self.clock(start))-\(Self.clock(end))" }
        static func clock(_ minute: Int) -> String {
            let h = minute / 60, m = minute % 60
            return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
        }
    }

    public let timeZone: TimeZone
    public let branches: [Branch]
    /// Local dates (`2026-12-25`) on which `holidayPlan` runs whatever the time.
    public let holidays: Set<String>
    public let holidayPlan: Plan?
    /// Runs when no branch covers the moment.
    public let defaultPlan: Plan?
}

extension SchedulePlan {
    /// The outcome of choosing a branch, with the reason for the trace.
    public struct Choice: Sendable {
        /// Branch name, `holiday` or `default`.
        public let branch: String
        /// Nil when nothing applies and there is no default (the plan fails).
        public let plan: Plan?
        public let reason: String
        /// The local wall-clock time the decision used (`2026-03-09 08:30 mon UTC-04:00`).
        public let localTime: String
    }

    /// Pure decision: holidays first, then the first branch whose days and
    /// hours contain the local time, then the default. DST is handled by
    /// converting the instant with the account's `TimeZone`.
    public func branch(at date: Date) -> Choice {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        let minute = parts.hour! * 60 + parts.minute!
        let weekday = SchedulePlan.weekdayNames[parts.weekday! - 1]
        // The UTC offset rather than an abbreviation: Foundation on Linux gives
        // "GMT-5" where macOS gives "EST", and traces must be the same everywhere.
        let offset = timeZone.secondsFromGMT(for: date) / 60
        let zone = String(format: "UTC%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 60, abs(offset) % 60)
        let local = "\(day) \(ClosedOpenMinutes.clock(minute)) \(weekday) \(zone)"
        if holidays.contains(day) {
            return Choice(branch: "holiday", plan: holidayPlan, reason: "\(day) is a holiday", localTime: local)
        }
        for branch in branches where branch.days.contains(parts.weekday!) {
            if let range = branch.hours.first(where: { $0.contains(minute) }) {
                return Choice(branch: branch.name, plan: branch.plan,
                              reason: "\(weekday) \(ClosedOpenMinutes.clock(minute)) is within \(range.description)", localTime: local)
            }
        }
        return Choice(branch: "default", plan: defaultPlan,
                      reason: "\(weekday) \(ClosedOpenMinutes.clock(minute)) matches no branch", localTime: local)
    }

    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
}
