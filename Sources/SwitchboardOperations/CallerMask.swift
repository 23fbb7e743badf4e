/// Masks a caller's number for readers without the admin token: `+14155550123` becomes
/// `+1415•••••23`. The country and area prefix (first five characters) and the last two
/// digits stay, as on a printed bill, so callers can be told apart; the rest is hidden.
public enum CallerMask {
    public static func mask(_ caller: String) -> String {
        let characters = Array(caller)
        guard characters.count > 7 else { return String(repeating: "•", count: characters.count) }
        let kept = 5, tail = 2
        return String(characters[..<kept]) + String(repeating: "•", count: characters.count - kept - tail)
            + String(characters[(characters.count - tail)...])
    }
}
