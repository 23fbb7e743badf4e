import Foundation

/// A number being ported in from another carrier (issue 16 item 7). It routes like any other
/// number from the moment it is in the dialplan: until the port completes, calls reach us
/// through the losing carrier's forwarding, so there is no downtime either way.
/// Number portability between carriers as sold here is US/Canada only (the FCC and CRTC LNP
/// regimes); other countries' numbers are refused.
public struct Porting: Sendable, Equatable {
    /// The losing carrier, as the admin names it.
    public var from: String
    /// When the port was requested (YYYY-MM-DD).
    public var requested: String
    /// The firm order commitment date the losing carrier confirmed, once known.
    public var foc: String?
    /// Set when the port is complete (the number is on our trunks).
    public var completed: String?

    public init(from: String, requested: String, foc: String? = nil, completed: String? = nil) {
        self.from = from
        self.requested = requested
        self.foc = foc
        self.completed = completed
    }

    public var isPending: Bool { completed == nil }

    /// Whether the FOC date is before `today` (YYYY-MM-DD) and the port is not marked complete.
    public func focPassed(today: String) -> Bool {
        guard isPending, let foc else { return false }
        return foc < today  // ISO dates compare as text
    }

    /// Regions whose numbers can be ported in.
    public static let regions: Set<String> = ["US", "CA"]

    /// Strict YYYY-MM-DD (a real calendar date).
    static func isDate(_ text: String) -> Bool {
        guard text.count == 10 else { return false }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else { return false }
        return formatter.string(from: date) == text
    }

    /// Today in UTC as YYYY-MM-DD.
    public static func today(_ now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: now)
    }
}
