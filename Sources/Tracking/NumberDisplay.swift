import Dialplan

/// How a pool number is shown on a page: NANP numbers as `(800) 555-0110`, every other
/// country in E.164's international form with the country code apart (`+44 2079460000`).
/// The snippet also keeps the page's own layout when the default number it replaces has
/// the same digit count (see snippet.js), so this is the fallback form.
public struct NumberDisplay: Sendable, Codable, Equatable {
    public var e164: String
    /// The national form for NANP, else the international one.
    public var national: String
    public var international: String
    /// ISO 3166 region ("US", "GB"), when known.
    public var region: String?

    public init(e164: String) {
        self.e164 = e164
        let number = PhoneNumber(e164: e164)
        region = number?.region
        let digits = String(e164.dropFirst())
        let code = number?.countryCode ?? 0
        if code == 1, digits.count == 11 {
            let d = Array(digits.dropFirst())
            let npa = String(d[0..<3]), nxx = String(d[3..<6]), line = String(d[6..<10])
            national = "(\(npa)) \(nxx)-\(line)"
            international = "+1 \(npa)-\(nxx)-\(line)"
        } else if code > 0 {
            let cc = String(code)
            international = "+\(cc) \(digits.dropFirst(cc.count))"
            national = international
        } else {
            international = e164
            national = e164
        }
    }
}
