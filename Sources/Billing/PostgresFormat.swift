import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Text forms of parameters for PostgreSQL (sent out of line, so no SQL quoting).
enum PG {
    /// An instant as timestamptz text in UTC with microseconds.
    static func time(_ d: Date) -> String {
        let micros = Int64((d.timeIntervalSince1970 * 1_000_000).rounded())
        var secs = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let frac = micros - secs * 1_000_000
        var t = time_t(secs)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        secs = 0
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1,
                      Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec), frac)
    }

    /// A `text[]`/`date[]`/`timestamptz[]` literal; every element quoted.
    static func array(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// SQL text for an instant read back as µs since the epoch.
    static func micros(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    static func date(micros text: String?) -> Date? {
        guard let text, let v = Int64(text) else { return nil }
        return Date(timeIntervalSince1970: Double(v) / 1_000_000)
    }
}
