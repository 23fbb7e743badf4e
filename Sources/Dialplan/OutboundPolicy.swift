/// What an account's agents may dial (issue 15 item 4, dialplan key `outbound:`): the
/// toll-fraud rules checked before anything is dialled for an agent's own call. A stolen
/// softphone password is the classic way into international revenue share fraud: calls to
/// premium and satellite ranges abroad, many at once, at night. So by default an agent
/// reaches only its own country's ordinary numbers, two calls at a time.
public struct OutboundPolicy: Sendable, Equatable {
    /// The account's country (ISO 3166 alpha-2): national dialling (`312 555 0100`,
    /// `020 7946 0958`) is read in it. Default: the region of the account's first tracking number.
    public var country: String?
    /// Destination regions allowed (ISO 3166 alpha-2, as libphonenumber assigns a number's
    /// region: `+1 876…` is JM, not US, so the NANP's Caribbean ranges need their own
    /// entry). Default: `[country]`.
    public var countries: [String]
    /// E.164 prefixes allowed although they are premium or high cost (`["+1900"]`).
    public var allowPrefixes: [String]
    /// Calls one agent may have in progress at once (on this node).
    public var maxCallsPerAgent: Int
    /// Most the account's agents may spend on outbound calls per business day, in the
    /// currency's minor units (cents); nil: no limit.
    public var dailySpendLimit: Int64?

    public static let defaultMaxCallsPerAgent = 2

    public init(country: String? = nil, countries: [String] = [], allowPrefixes: [String] = [],
                maxCallsPerAgent: Int = Self.defaultMaxCallsPerAgent, dailySpendLimit: Int64? = nil) {
        self.country = country
        self.countries = countries
        self.allowPrefixes = allowPrefixes
        self.maxCallsPerAgent = maxCallsPerAgent
        self.dailySpendLimit = dailySpendLimit
    }

    /// Ranges refused whatever libphonenumber says of them: international premium rate
    /// (ITU +979), shared cost (+808), UPT (+878), the satellite and international networks
    /// (+870 Inmarsat, +881 GMSS, +882/+883 international networks) — billed at dollars a
    /// minute and the destinations of most revenue share fraud.
    public static let highCostPrefixes = ["+870", "+878", "+881", "+882", "+883", "+979", "+808"]

    /// Why a destination is refused; `reason` goes into the 403's `Reason` header.
    public enum Refusal: String, Error, Sendable, Equatable {
        case notE164 = "not-e164", countryNotAllowed = "country-not-allowed", premium
        case noCountry = "no-country"

        public var reason: String {
            switch self {
            case .notE164: "destination is not a valid E.164 number"
            case .countryNotAllowed: "destination country not allowed for this account"
            case .premium: "premium-rate or high-cost destination not allowed"
            case .noCountry: "account has no country for outbound calls"
            }
        }
    }

    /// The allowed regions (`countries`, else the account's country).
    public var allowedCountries: [String] { countries.isEmpty ? (country.map { [$0] } ?? []) : countries }

    /// The destination in E.164 when an agent may dial `dialled` (a Request-URI user part:
    /// `+4420…`, `00 44…`, or national format in the account's country), else why not.
    public func check(dialled: String) -> Result<String, Refusal> {
        let digits = dialled.filter { !" -.()".contains($0) }
        // Only digits and a leading +: no `*`, `#`, letters or extensions a trunk might act on.
        guard !digits.isEmpty, digits.enumerated().allSatisfy({ $0.element.isASCII && ($0.element.isNumber || ($0.offset == 0 && $0.element == "+")) }) else {
            return .failure(.notE164)
        }
        guard let country = country ?? (digits.hasPrefix("+") ? "ZZ" : nil) else { return .failure(.noCountry) }
        guard let number = PhoneNumber(parsing: digits, defaultRegion: country == "ZZ" ? nil : country), number.isValid else {
            return .failure(.notE164)
        }
        let e164 = number.e164
        let allowed = allowPrefixes.contains { e164.hasPrefix($0) }
        if !allowed {
            if Self.highCostPrefixes.contains(where: { e164.hasPrefix($0) }) { return .failure(.premium) }
            switch number.lineType {
            case .premiumRate, .sharedCost, .uan, .personalNumber: return .failure(.premium)
            default: break
            }
        }
        // An allowed prefix lifts the premium refusal only; the country must be allowed too,
        // except for non-geographic ranges (region 001: +881…), which have none.
        guard let region = number.region, allowedCountries.contains(region) || (allowed && region == "001") else {
            return .failure(.countryNotAllowed)
        }
        return .success(e164)
    }
}
