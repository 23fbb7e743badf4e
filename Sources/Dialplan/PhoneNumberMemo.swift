/// Remembers `PhoneNumber.details` by the text it was asked about, for one event loop.
///
/// Every INVITE asks libphonenumber about the dialled number (and the caller): a region
/// lookup through ICU regexes that `perf` put at ~8 % of the SIP loop's CPU per call
/// (bench/README.md, "Where the CPU per call goes"). The dialled numbers are the tracking
/// numbers, a small set that repeats call after call, and libphonenumber's answer for a given
/// text and region never changes (its metadata is compiled in), so one answer per text is
/// enough. A class owned by one engine (one SIP loop): no lock, not `Sendable`.
///
/// Bounded: callers choose what they send, so texts longer than `maxInputLength` (no phone
/// number is that long) are never remembered, and a full memo is emptied rather than grown.
public final class PhoneNumberMemo {
    private struct Key: Hashable {
        let input: String
        let defaultRegion: String?
        let withLocation: Bool
    }

    /// Unparseable texts are remembered too (`nil`), as `.some(nil)`.
    private var entries: [Key: PhoneNumber.Details?] = [:]
    public let capacity: Int
    public static let maxInputLength = 64
    /// Answers given from the memo, and texts asked of libphonenumber (tests, metrics).
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacity: Int = 4_096) { self.capacity = max(1, capacity) }

    public var count: Int { entries.count }

    /// As `PhoneNumber.details(parsing:defaultRegion:withLocation:)`, from the memo when it was asked before.
    public func details(parsing input: String, defaultRegion: String?, withLocation: Bool) -> PhoneNumber.Details? {
        guard input.utf8.count <= Self.maxInputLength else {
            misses += 1
            return PhoneNumber.details(parsing: input, defaultRegion: defaultRegion, withLocation: withLocation)
        }
        let key = Key(input: input, defaultRegion: defaultRegion, withLocation: withLocation)
        if let known = entries[key] {
            hits += 1
            return known
        }
        misses += 1
        let details = PhoneNumber.details(parsing: input, defaultRegion: defaultRegion, withLocation: withLocation)
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = .some(details)
        return details
    }
}
