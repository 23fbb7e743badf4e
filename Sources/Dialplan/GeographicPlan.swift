/// Route by where the caller is: country, area code, E.164 prefix or the
/// geocoder's location text. Rules are tried in order; the first match wins.
public struct GeographicPlan: Sendable {
    public struct Rule: Sendable {
        /// ISO 3166 regions (`GB`); empty: not constrained.
        public let countries: Set<String>
        /// Area codes (NANP NPA such as `212`); empty: not constrained.
        public let areaCodes: Set<String>
        /// E.164 prefixes (`+4420`); empty: not constrained.
        public let prefixes: [String]
        /// Geocoder text (`London`, `CA`, `Mountain View, CA`); empty: not constrained.
        public let locations: [String]
        public let plan: Plan
    }

    public let rules: [Rule]
    /// Taken when no rule matches, including withheld and unparseable callers.
    public let defaultPlan: Plan?
}

/// What is known about a caller, computed once per call.
public struct CallerInfo: Sendable, Hashable, Codable {
    /// The caller as received (From / P-Asserted-Identity user part).
    public var input: String
    /// E.164 when the number could be parsed; nil for withheld or unparseable callers.
    public var e164: String?
    public var region: String?
    public var areaCode: String?
    public var location: String?

    /// Builds the caller information; `defaultRegion` reads national-format
    /// numbers (use the tracking number's region: carriers send local format).
    /// `numbers`: a memo to ask instead of libphonenumber (`PhoneNumberMemo`).
    public init(_ input: String?, defaultRegion: String? = nil, numbers: PhoneNumberMemo? = nil) {
        self.input = input ?? ""
        guard let input else { return }
        let found = numbers.map { $0.details(parsing: input, defaultRegion: defaultRegion, withLocation: true) }
            ?? PhoneNumber.details(parsing: input, defaultRegion: defaultRegion)
        guard let details = found else { return }
        e164 = details.number.e164
        region = details.region
        areaCode = details.areaCode
        location = details.location
    }

    public var isWithheld: Bool { e164 == nil }
}

extension GeographicPlan {
    /// The outcome of matching a caller, with the reason for the trace.
    public struct Match: Sendable {
        /// The plan to run next; nil when no rule matched and there is no default.
        public let plan: Plan?
        /// 0-based index of the matching rule; nil when the default was taken.
        public let ruleIndex: Int?
        public let reason: String
    }

    /// Pure decision: the first rule every criterion of which the caller
    /// satisfies (values inside one criterion are alternatives).
    public func match(caller: CallerInfo) -> Match {
        guard caller.e164 != nil else {
            return Match(plan: defaultPlan, ruleIndex: nil, reason: "caller withheld or unparseable ('\(caller.input)'): default")
        }
        for (index, rule) in rules.enumerated() {
            if let why = rule.reason(matching: caller) {
                return Match(plan: rule.plan, ruleIndex: index, reason: "rule \(index + 1): \(why)")
            }
        }
        let place = [caller.region, caller.areaCode.map { "area code \($0)" }, caller.location].compactMap { $0 }.joined(separator: ", ")
        return Match(plan: defaultPlan, ruleIndex: nil, reason: "no rule matched caller \(caller.e164!) (\(place)): default")
    }
}

extension GeographicPlan.Rule {
    /// Why the rule matches, or nil when it does not.
    func reason(matching caller: CallerInfo) -> String? {
        var reasons: [String] = []
        if !countries.isEmpty {
            guard let region = caller.region, countries.contains(region) else { return nil }
            reasons.append("country \(region)")
        }
        if !areaCodes.isEmpty {
            guard let area = caller.areaCode, areaCodes.contains(area) else { return nil }
            reasons.append("area code \(area)")
        }
        if !prefixes.isEmpty {
            guard let number = caller.e164, let prefix = prefixes.first(where: { number.hasPrefix($0) }) else { return nil }
            reasons.append("prefix \(prefix)")
        }
        if !locations.isEmpty {
            guard let location = caller.location,
                  let wanted = locations.first(where: { Self.location(location, matches: $0) }) else { return nil }
            reasons.append("location '\(location)' matches '\(wanted)'")
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: ", ")
    }

    /// Case-insensitive match of the whole text or one comma-separated part,
    /// so `CA` and `Mountain View` both match "Mountain View, CA".
    static func location(_ location: String, matches wanted: String) -> Bool {
        let target = wanted.lowercased().trimmingCharactersWhitespace()
        if location.lowercased() == target { return true }
        return location.split(separator: ",").contains { $0.lowercased().trimmingCharactersWhitespace() == target }
    }
}
