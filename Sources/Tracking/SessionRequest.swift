import Foundation

/// What a page sends to start a session: which pool, and what it knows of the visit.
/// Field names are the snippet's JSON keys (snake_case, like the `utm_*` parameters).
public struct SessionRequest: Sendable, Codable, Equatable {
    /// The account's public key (from the snippet's `data-key`).
    public var key: String
    public var pool: String
    public var landingURL: String?
    public var referrer: String?
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var utmTerm: String?
    public var utmContent: String?
    /// Google Ads click id, and its iOS app-to-web / web-to-app variants.
    public var gclid: String?
    public var gbraid: String?
    public var wbraid: String?
    /// Microsoft Advertising click id.
    public var msclkid: String?
    /// A first-party id the snippet keeps in the site's own storage.
    public var visitorID: String?

    enum CodingKeys: String, CodingKey {
        case key, pool, referrer, gclid, gbraid, wbraid, msclkid
        case landingURL = "landing_url", utmSource = "utm_source", utmMedium = "utm_medium"
        case utmCampaign = "utm_campaign", utmTerm = "utm_term", utmContent = "utm_content"
        case visitorID = "visitor_id"
    }

    public init(key: String, pool: String, landingURL: String? = nil, referrer: String? = nil,
                utmSource: String? = nil, utmMedium: String? = nil, utmCampaign: String? = nil,
                utmTerm: String? = nil, utmContent: String? = nil, gclid: String? = nil, gbraid: String? = nil,
                wbraid: String? = nil, msclkid: String? = nil, visitorID: String? = nil) {
        self.key = key; self.pool = pool; self.landingURL = landingURL; self.referrer = referrer
        self.utmSource = utmSource; self.utmMedium = utmMedium; self.utmCampaign = utmCampaign
        self.utmTerm = utmTerm; self.utmContent = utmContent; self.gclid = gclid; self.gbraid = gbraid
        self.wbraid = wbraid; self.msclkid = msclkid; self.visitorID = visitorID
    }

    /// Longest accepted URL (landing page, referrer); browsers cap around 2–8 KB and a report
    /// column has no use for more.
    public static let maximumURLLength = 2048
    /// Longest accepted campaign value, click id or visitor id.
    public static let maximumValueLength = 256

    /// The first problem with the values, as a sentence for a 400 response; nil when valid.
    public func problem() -> String? {
        if key.isEmpty { return "key is empty" }
        if pool.isEmpty { return "pool is empty" }
        for (name, value) in [("landing_url", landingURL), ("referrer", referrer)] {
            guard let value else { continue }
            if value.utf8.count > Self.maximumURLLength { return "\(name) is longer than \(Self.maximumURLLength) bytes" }
            if !value.isEmpty, URL(string: value)?.scheme == nil { return "\(name) is not an absolute URL" }
        }
        let values: [(String, String?)] = [
            ("key", key), ("pool", pool), ("utm_source", utmSource), ("utm_medium", utmMedium),
            ("utm_campaign", utmCampaign), ("utm_term", utmTerm), ("utm_content", utmContent), ("gclid", gclid),
            ("gbraid", gbraid), ("wbraid", wbraid), ("msclkid", msclkid), ("visitor_id", visitorID),
        ]
        for (name, value) in values {
            guard let value else { continue }
            if value.utf8.count > Self.maximumValueLength { return "\(name) is longer than \(Self.maximumValueLength) bytes" }
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                return "\(name) contains control characters"
            }
        }
        return nil
    }

    /// Empty strings stored as NULL, so reports group "no campaign" once.
    func normalized(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
