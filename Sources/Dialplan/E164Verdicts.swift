import Synchronization

/// The loader's fast path for strict E.164 tracking numbers (issue 17 item 1).
///
/// libphonenumber parses every number through a dozen ICU regular expressions (~30 k/s on
/// one core), which made a million numbers take most of a 39 s load. What it decides for a
/// `+`-and-digits string depends only on the country code, the length of the national
/// significant number (possible lengths) and its first digits (the national-prefix pattern,
/// which reads at most a few leading digits). So the country code is found here, from
/// libphonenumber's own list of calling codes, and its verdict is asked once per country
/// code + national length + first `prefixDigits` national digits, then reused for every
/// number sharing them. `E164VerdictsTests` checks for many generated numbers (odd lengths,
/// unassigned and shared country codes, national prefixes) that this agrees with asking
/// libphonenumber about each number.
enum E164Verdicts {
    /// What libphonenumber says of a strict E.164 number (as `PhoneNumber.inspect(e164:)`).
    enum Verdict: Equatable, Sendable {
        /// It does not parse, or parses to different E.164 text.
        case unparseable
        /// It parses to itself; whether its length is possible for `countryCode`.
        case parsed(countryCode: Int, possible: Bool)
    }

    /// National digits that form the cache key with the country code and the length.
    static let prefixDigits = 8

    /// Bounded: a dialplan with more distinct prefixes than this re-asks, never grows.
    private static let capacity = 200_000

    private static let cache = Mutex<[UInt64: Verdict]>([:])

    /// Every assigned calling code (1–999), from libphonenumber once.
    private static let callingCodes: [Bool] = (0..<1000).map { $0 > 0 && PhoneNumber.isSupportedCountryCode($0) }

    /// The verdict for `text`, which must be strict E.164 (`PhoneNumber.isStrictE164`).
    static func verdict(strictE164 text: String) -> Verdict {
        guard let key = key(text) else { return ask(text) }
        if let known = cache.withLock({ $0[key] }) { return known }
        let fresh = ask(text)
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = fresh
        }
        return fresh
    }

    /// libphonenumber's own answer for one number (one parse).
    static func ask(_ text: String) -> Verdict {
        guard let (number, possible) = PhoneNumber.inspect(e164: text) else { return .unparseable }
        return .parsed(countryCode: number.countryCode, possible: possible)
    }

    /// Country code, national length and leading national digits packed into one integer;
    /// nil when no 1–3 digit prefix is an assigned code (libphonenumber is asked directly).
    static func key(_ text: String) -> UInt64? {
        let digits = text.utf8.dropFirst().map { Int($0 &- UInt8(ascii: "0")) }
        // Country codes are a prefix code: libphonenumber takes the shortest assigned one.
        var code = 0
        var codeLength = 0
        for length in 1...3 where length < digits.count {
            code = code * 10 + digits[length - 1]
            if callingCodes[code] { codeLength = length; break }
        }
        guard codeLength > 0 else { return nil }
        let national = digits[codeLength...]
        var prefix: UInt64 = 0
        for digit in national.prefix(prefixDigits) { prefix = prefix * 10 + UInt64(digit) }
        // 10 bits of code, 4 of length, 27 of prefix (< 10^8); the length fixes how many
        // prefix digits there are, so leading zeros cannot collide.
        return UInt64(code) << 32 | UInt64(national.count) << 27 | prefix
    }

    /// Forgets every verdict (tests that compare against fresh answers).
    static func reset() { cache.withLock { $0.removeAll() } }
}
