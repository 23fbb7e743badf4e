internal import CPhoneNumber
import Foundation

/// A phone number normalised to E.164 with what libphonenumber knows about it.
///
/// This is the only Swift file that imports `CPhoneNumber`; everything else
/// sees Swift strings. Carriers send numbers in every shape (`+44 20 7946 0958`,
/// `0044…`, `011…` from NANP, national format, `tel:`/`sip:` URIs with visual
/// separators): `PhoneNumber(parsing:defaultRegion:)` accepts all of them.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number in E.164 (`+442079460958`).
    public let e164: String

    public var description: String { e164 }

    /// Parses `input` and normalises it to E.164.
    /// - Parameters:
    ///   - input: the number as received: bare digits, international or national
    ///     format, or a `tel:`/`sip:`/`sips:` URI whose user part is the number.
    ///   - defaultRegion: ISO 3166 alpha-2 region for national-format input
    ///     (`"US"` makes `011…` an international prefix, `"GB"` makes `00…` one).
    /// - Returns: nil for withheld/anonymous callers and anything unparseable.
    public init?(parsing input: String, defaultRegion: String? = nil) {
        guard let (text, region) = PhoneNumber.prepare(input, defaultRegion: defaultRegion) else { return nil }
        // Too short or too long for its country is not a number we can route or match.
        guard let e164 = PhoneNumber.call(64, { cpn_format_e164(text, region, $0, $1) }),
              cpn_is_possible(e164) == 1 else { return nil }
        self.e164 = e164
    }

    /// The text and region libphonenumber should parse for `input`, nil when there is no number.
    private static func prepare(_ input: String, defaultRegion: String?) -> (text: String, region: String)? {
        guard let candidate = numberPart(of: input) else { return nil }
        var region = defaultRegion?.uppercased() ?? "ZZ"
        var text = candidate
        // Without a region libphonenumber only accepts "+"; "00" is the ITU
        // recommended international prefix, so treat it as "+" in that case.
        if region == "ZZ", text.hasPrefix("00") { text = "+" + text.dropFirst(2) }
        if text.hasPrefix("+") { region = "ZZ" }
        return (text, region)
    }

    /// A number with what routing asks of it, all from one parse.
    public struct Details: Sendable, Hashable {
        public let number: PhoneNumber
        /// As `PhoneNumber.region`.
        public let region: String?
        /// As `PhoneNumber.areaCode`.
        public let areaCode: String?
        /// As `PhoneNumber.location`; nil when not asked for.
        public let location: String?
    }

    /// Parses like `init(parsing:defaultRegion:)` and returns the region, area code and (if
    /// `withLocation`) geocoder description from that same parse. Every INVITE needs this for
    /// the dialled number and the caller; the separate properties parse the text again each,
    /// which made libphonenumber and its ICU regexes ~14 % of the SIP loop's CPU (perf, 150
    /// calls/s, bench/README.md).
    public static func details(parsing input: String, defaultRegion: String? = nil, withLocation: Bool = true) -> Details? {
        guard let (text, region) = prepare(input, defaultRegion: defaultRegion) else { return nil }
        var possible: Int32 = 0
        var regionOut = [CChar](repeating: 0, count: 16)
        var areaOut = [CChar](repeating: 0, count: 16)
        var locationOut = [CChar](repeating: 0, count: withLocation ? 256 : 1)
        var e164Out = [CChar](repeating: 0, count: 64)
        let rc = e164Out.withUnsafeMutableBufferPointer { e in
            regionOut.withUnsafeMutableBufferPointer { r in
                areaOut.withUnsafeMutableBufferPointer { a in
                    locationOut.withUnsafeMutableBufferPointer { l in
                        cpn_describe(text, region, e.baseAddress, e.count, &possible, r.baseAddress, r.count,
                                     a.baseAddress, a.count, withLocation ? l.baseAddress : nil, l.count)
                    }
                }
            }
        }
        guard rc >= 0, possible == 1 else { return nil }
        func string(_ buffer: [CChar]) -> String? {
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return text.isEmpty ? nil : text
        }
        let regionCode = string(regionOut)
        return Details(number: PhoneNumber(trusted: string(e164Out)!), region: regionCode == "ZZ" ? nil : regionCode,
                       areaCode: string(areaOut), location: withLocation ? string(locationOut) : nil)
    }

    /// Wraps a string that must already be strict E.164 (`+` and 8–15 digits).
    public init?(e164: String) {
        guard PhoneNumber.isStrictE164(e164), PhoneNumber(parsing: e164)?.e164 == e164 else { return nil }
        self.e164 = e164
    }

    /// Checks a strict E.164 string with one parse (the loader calls this for
    /// every tracking number). Nil when it is not a number libphonenumber
    /// can parse or does not round-trip to the same E.164 text.
    /// Only possibility (length for the country) is checked: fictitious
    /// ranges must pass, and IsValidNumber's range regexes would double the
    /// load time of a million numbers.
    static func inspect(e164: String) -> (number: PhoneNumber, possible: Bool)? {
        guard isStrictE164(e164) else { return nil }
        var possible: Int32 = 0
        guard let canonical = call(64, { cpn_inspect(e164, $0, $1, nil, &possible) }), canonical == e164 else { return nil }
        return (PhoneNumber(trusted: e164), possible == 1)
    }

    private init(trusted e164: String) { self.e164 = e164 }

    /// A number `E164Verdicts` found to parse to itself.
    init(checked e164: String) { self.e164 = e164 }

    /// Whether libphonenumber's metadata considers the number valid (assigned ranges).
    public var isValid: Bool { cpn_is_valid(e164) == 1 }

    /// What kind of line libphonenumber's metadata says the number is (nil when it cannot tell).
    public enum LineType: Int32, Sendable {
        case fixedLine = 0, mobile, fixedLineOrMobile, tollFree, premiumRate, sharedCost, voip, personalNumber,
             pager, uan, voicemail, unknown
    }

    public var lineType: LineType? { LineType(rawValue: cpn_number_type(e164)) }

    /// Whether the number has a possible length for its country.
    public var isPossible: Bool { cpn_is_possible(e164) == 1 }

    /// Country calling code (`44` for the UK).
    public var countryCode: Int { Int(cpn_country_code(e164)) }

    /// ISO 3166 region (`"GB"`), `"001"` for non-geographic numbers, nil if unknown.
    public var region: String? {
        guard let region = PhoneNumber.call(16, { cpn_region(e164, $0, $1) }), region != "ZZ" else { return nil }
        return region
    }

    /// Geographic area code: the NPA in NANP (`"650"`), `"20"` for London; nil when none.
    public var areaCode: String? {
        guard let code = PhoneNumber.call(16, { cpn_area_code(e164, $0, $1) }), !code.isEmpty else { return nil }
        return code
    }

    /// The offline geocoder's English description (`"London"`, `"Mountain View, CA"`); nil when unknown.
    public var location: String? {
        guard let text = PhoneNumber.call(256, { cpn_location(e164, $0, $1) }), !text.isEmpty else { return nil }
        return text
    }

    /// The number as a UInt64 of its digits: E.164 digits alone are unambiguous
    /// (country codes are a prefix code) and at most 15 digits long.
    public var key: UInt64 { PhoneNumber.key(e164)! }

    /// The region a number's country calling code belongs to first ("US" for +1, "GB" for
    /// +44), whether or not the number itself is in an assigned range (nil when unknown).
    public var mainRegion: String? {
        guard let region = PhoneNumber.call(16, { cpn_main_region_for_country_code(Int32(countryCode), $0, $1) }),
              region != "ZZ" else { return nil }
        return region
    }

    /// Whether `region` is an ISO region libphonenumber has metadata for.
    public static func isSupportedRegion(_ region: String) -> Bool {
        cpn_is_supported_region(region) == 1
    }

    /// Whether `code` is an assigned country calling code.
    public static func isSupportedCountryCode(_ code: Int) -> Bool {
        cpn_is_supported_country_code(Int32(code)) == 1
    }
}

extension PhoneNumber {
    /// `+` followed by 8 to 15 digits, the first not zero (ITU-T E.164).
    static func isStrictE164(_ text: String) -> Bool { key(text) != nil }

    /// Digits of a strict E.164 string as an integer key; nil if not E.164.
    /// One pass over the UTF-8 bytes without allocating: this is the per-call lookup path.
    static func key(_ e164: String) -> UInt64? {
        var value: UInt64 = 0
        var count = 0
        for byte in e164.utf8 {
            if count == 0 {
                guard byte == UInt8(ascii: "+") else { return nil }
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), count <= 15 else { return nil }
                if count == 1, byte == UInt8(ascii: "0") { return nil }
                value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
            }
            count += 1
        }
        return count >= 9 ? value : nil
    }

    /// The part of `input` that should hold the number: the user part of a
    /// `sip:`/`sips:`/`tel:` URI without parameters, or the trimmed input.
    /// Returns nil for withheld callers ("anonymous", "unknown", empty).
    static func numberPart(of input: String) -> String? {
        // Runs for the dialled number and the caller of every INVITE: stdlib character
        // properties rather than Foundation's CharacterSet trimming, which went through ICU.
        var text = trimmed(Substring(input))
        if let open = text.firstIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            text = text[text.index(after: open)..<close]  // "Name" <sip:…>
        }
        let lower = text.prefix(5).lowercased()
        for scheme in ["sips:", "sip:", "tel:"] where lower.hasPrefix(scheme) {
            text = text.dropFirst(scheme.count)
            if scheme != "tel:", let at = text.firstIndex(of: "@") { text = text[..<at] }
            break
        }
        if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }  // ;phone-context, ;isub
        let number = trimmed(text)
        // At least one digit, otherwise it is a name (or "anonymous"), not a number.
        guard number.contains(where: \.isNumber), !withheld.contains(number.lowercased()) else { return nil }
        return String(number)
    }

    private static let withheld: Set<String> = ["", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld"]

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// Calls a C function that writes into a buffer; nil on a negative result.
    private static func call(_ capacity: Int, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let rc = body(buffer.baseAddress!, capacity)
            guard rc >= 0 else { return nil }
            return String(cString: buffer.baseAddress!)
        }
    }
}
