import Foundation

/// A local calendar date (the name of a business day), free of any timezone.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// "2026-11-01".
    public init?(_ text: String) {
        let p = text.split(separator: "-")
        guard p.count == 3, let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The last day of this date's month (Gregorian).
    public var lastOfMonth: LocalDate {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return LocalDate(year: year, month: month, day: days)
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// Business days of one account: day D runs from D at the cut-off (local wall time) to D+1
/// at the cut-off, in the account's timezone. A cut-off of 00:00 gives calendar days; 06:00
/// puts a night's calls on the previous business day. Days around daylight-saving changes
/// are 23 or 25 hours long; a cut-off that does not exist on a spring-forward day moves to
/// the next valid time.
public struct BusinessCalendar: Sendable {
    public let timeZone: TimeZone
    public let cutoffMinutes: Int
    private let calendar: Calendar

    public init?(timeZone identifier: String, cutoff: String = "00:00") {
        guard let tz = TimeZone(identifier: identifier), let minutes = Self.parseCutoff(cutoff) else { return nil }
        timeZone = tz
        cutoffMinutes = minutes
        var c = Calendar(identifier: .gregorian)
        c.timeZone = tz
        calendar = c
    }

    /// "HH:MM" or "HH:MM:SS" (PostgreSQL's `time` text) → minutes after midnight.
    static func parseCutoff(_ s: String) -> Int? {
        let p = s.split(separator: ":")
        guard p.count >= 2, p.count <= 3, let h = Int(p[0]), let m = Int(p[1]), (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        if p.count == 3, Int(p[2].prefix(2)) != 0 { return nil }
        return h * 60 + m
    }

    /// When business day `d` starts (D at the cut-off, local).
    public func start(of d: LocalDate) -> Date {
        var c = DateComponents()
        c.year = d.year; c.month = d.month; c.day = d.day
        c.hour = cutoffMinutes / 60; c.minute = cutoffMinutes % 60
        // Foundation resolves a wall time skipped by DST forward (02:30 → 03:30).
        return calendar.date(from: c)!
    }

    /// When business day `d` ends (= the next day's start).
    public func end(of d: LocalDate) -> Date { start(of: next(d)) }

    public func next(_ d: LocalDate) -> LocalDate { adding(1, to: d) }

    public func adding(_ days: Int, to d: LocalDate) -> LocalDate {
        var c = DateComponents()
        c.year = d.year; c.month = d.month; c.day = d.day; c.hour = 12
        let noon = calendar.date(from: c)!
        let moved = calendar.date(byAdding: .day, value: days, to: noon)!
        return localDate(of: moved)
    }

    func localDate(of instant: Date) -> LocalDate {
        let c = calendar.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(year: c.year!, month: c.month!, day: c.day!)
    }

    /// The business day containing `instant`.
    public func businessDay(containing instant: Date) -> LocalDate {
        let local = localDate(of: instant)
        return instant < start(of: local) ? adding(-1, to: local) : local
    }

    /// The last business day that has ended at `instant` (its end ≤ instant).
    public func lastEndedDay(at instant: Date) -> LocalDate {
        adding(-1, to: businessDay(containing: instant))
    }
}
