import Foundation

/// Formats integer minor units of an ISO 4217 currency ("USD", 12345 → "$123.45").
public enum Money {
    /// Digits after the decimal point (ISO 4217 exponent); 2 unless listed.
    public static func exponent(_ currency: String) -> Int {
        switch currency.uppercased() {
        case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF": 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD": 3
        default: 2
        }
    }

    static func symbol(_ currency: String) -> String? {
        switch currency.uppercased() {
        case "USD": "$"
        case "EUR": "€"
        case "GBP": "£"
        case "JPY": "¥"
        default: nil
        }
    }

    /// "$1,234.56", "-£0.05", "1,234.560 KWD". Integer arithmetic only.
    public static func format(_ minor: Int64, currency: String) -> String {
        let e = exponent(currency)
        var scale: Int64 = 1
        for _ in 0..<e { scale *= 10 }
        let negative = minor < 0
        let magnitude = minor.magnitude
        let whole = magnitude / UInt64(scale), frac = magnitude % UInt64(scale)
        var wholeText = String(whole)
        var grouped = ""
        while wholeText.count > 3 {
            grouped = "," + wholeText.suffix(3) + grouped
            wholeText.removeLast(3)
        }
        grouped = wholeText + grouped
        var number = grouped
        if e > 0 {
            let f = String(frac)
            number += "." + String(repeating: "0", count: e - f.count) + f
        }
        let sign = negative ? "-" : ""
        if let s = symbol(currency) { return sign + s + number }
        return sign + number + " " + currency.uppercased()
    }
}
