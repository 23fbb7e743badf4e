/// A place in the journal: a segment number and a byte offset inside it. Records never span
/// segments, so every position the journal hands out is a record boundary.
public struct JournalPosition: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: UInt64

    public init(segment: UInt64, offset: UInt64) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.segment, a.offset) < (b.segment, b.offset)
    }

    public var description: String { "\(segment):\(offset)" }
}
