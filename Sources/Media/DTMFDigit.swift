/// One DTMF key press, whichever way it arrived (RFC 4733 RTP events or SIP INFO).
public struct DTMFDigit: Hashable, Sendable, CustomStringConvertible {
    /// RFC 4733 §3.2 event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`.
    public var event: UInt8
    /// Duration in milliseconds when known (RFC 4733 duration / 8 at 8 kHz; INFO `Duration=`).
    public var durationMilliseconds: Int?
    /// Power level in −dBm0 for RTP events.
    public var volume: UInt8?

    public init(event: UInt8, durationMilliseconds: Int? = nil, volume: UInt8? = nil) {
        self.event = event
        self.durationMilliseconds = durationMilliseconds
        self.volume = volume
    }

    public init?(_ character: Character, durationMilliseconds: Int? = nil) {
        guard let e = Self.event(for: character) else { return nil }
        self.init(event: e, durationMilliseconds: durationMilliseconds)
    }

    static let characters: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]

    /// The key, or nil for events outside the DTMF range (e.g. 16 flash).
    public var character: Character? { event < 16 ? Self.characters[Int(event)] : nil }

    public static func event(for character: Character) -> UInt8? {
        let upper = Character(character.uppercased())
        return Self.characters.firstIndex(of: upper).map { UInt8($0) }
    }

    public var description: String { character.map(String.init) ?? "event(\(event))" }
}
