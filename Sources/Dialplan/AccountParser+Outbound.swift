import Foundation

/// `outbound:` — what the account's agents may dial (`OutboundPolicy`):
///
///     outbound:
///       country: US                  # national dialling; default: the first tracking number's
///       countries: [US, CA]          # destinations allowed; default: [country]
///       allow-prefixes: ["+1900"]    # premium / high-cost ranges allowed anyway
///       max-calls-per-agent: 2
///       daily-spend-limit: 5000      # minor units (cents) per business day
extension AccountParser {
    static let outboundKeys = ["country", "countries", "allow-prefixes", "max-calls-per-agent", "daily-spend-limit"]

    func parseOutbound(_ node: Node) -> OutboundPolicy {
        var policy = OutboundPolicy()
        guard let entries = file.mapping(node, "outbound", allowed: Self.outboundKeys) else { return policy }
        if let n = entries["country"], let text = file.string(n, "outbound country") {
            if let region = region(text, n) { policy.country = region }
        }
        if let n = entries["countries"], let list = file.strings(n, "outbound countries") {
            if list.isEmpty { file.error(n, "outbound countries is empty: no agent could call anywhere (remove it for the account's own country)") }
            policy.countries = list.compactMap { region($0.0, $0.1) }
        }
        if let n = entries["allow-prefixes"], let list = file.strings(n, "outbound allow-prefixes") {
            for (text, item) in list {
                if text.first == "+", text.count >= 2, text.count <= 16, text.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
                    policy.allowPrefixes.append(text)
                } else {
                    file.error(item, "allow-prefixes entries are E.164 prefixes such as \"+1900\", not '\(text)'")
                }
            }
        }
        if let n = entries["max-calls-per-agent"], let value = file.positiveInt(n, "max-calls-per-agent", max: 1000) {
            policy.maxCallsPerAgent = value
        }
        if let n = entries["daily-spend-limit"], let text = file.string(n, "daily-spend-limit") {
            if let value = Int64(text), value >= 0 {
                policy.dailySpendLimit = value
            } else {
                file.error(n, "daily-spend-limit is a whole number of minor units (cents), not '\(text)'")
            }
        }
        return policy
    }

    private func region(_ text: String, _ node: Node) -> String? {
        let upper = text.uppercased()
        guard upper.count == 2, PhoneNumber.isSupportedRegion(upper) else {
            file.error(node, "'\(text)' is not an ISO 3166 country code libphonenumber knows (e.g. US, GB, DE)")
            return nil
        }
        return upper
    }
}
