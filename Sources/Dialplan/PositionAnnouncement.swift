/// A queue's periodic "you are caller number N" (issue 7 item 5), and the sound set that
/// speaks it.
///
/// A sound set is a directory of 8 kHz mono WAVs named like Asterisk's `digits/`: an intro
/// (`caller-number.wav`, "you are caller number"), the words `1.wav` … `19.wav` and the tens
/// `20.wav`, `30.wav` … `90.wav`, from which every position 1…99 is said in one or two words,
/// and `more-than-99.wav`, said on its own beyond that ("your position is more than ninety
/// nine"): a caller that far back gains nothing from the exact number, and a set of three
/// dozen small files stays easy to record in another voice or language.
public struct PositionAnnouncement: Sendable, Equatable {
    /// Seconds of hold music before each announcement (the first comes this long after the
    /// caller joined, each next one this long after the previous one ended).
    public let every: Int
    /// The sound set's directory, resolved against the dialplan directory.
    public let sounds: String

    public init(every: Int, sounds: String) {
        self.every = every
        self.sounds = sounds
    }

    /// Where `announce-position: 30s` finds its sounds, relative to the dialplan directory
    /// (the repository ships one in `Dialplans/prompts/position`).
    public static let defaultSounds = "prompts/position"

    public static let intro = "caller-number"
    public static let beyondRange = "more-than-99"
    /// The largest position said as a number.
    public static let largestSpoken = 99

    /// Every file a sound set must hold (without `.wav`), in the order a person records them.
    public static let requiredSounds: [String] =
        [intro] + (1...19).map(String.init) + stride(from: 20, through: 90, by: 10).map(String.init) + [beyondRange]

    /// The sounds that say "you are caller number `position`", in playing order: the intro
    /// then one word (1–19, 20, 30, …, 90) or a tens word and a unit (21 = 20 + 1); beyond 99
    /// the single `more-than-99`. Positions below 1 cannot happen and say nothing.
    public static func soundNames(forPosition position: Int) -> [String] {
        switch position {
        case ..<1: return []
        case 1...19: return [intro, String(position)]
        case 20...largestSpoken:
            let tens = position / 10 * 10, units = position % 10
            return [intro, String(tens)] + (units > 0 ? [String(units)] : [])
        default: return [beyondRange]
        }
    }

    /// The file of one sound of this set.
    public func path(of sound: String) -> String { sounds + "/" + sound + ".wav" }

    /// Every file of this set (what the prompt cache preloads).
    public var paths: [String] { Self.requiredSounds.map(path(of:)) }
}
