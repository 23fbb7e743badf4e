import Foundation

/// DTMF carried in SIP INFO bodies (the non-RTP way some carriers and PBXs send keys).
///
/// - `application/dtmf-relay` (the de-facto Cisco format): `Signal=5\r\nDuration=160\r\n`,
///   duration in milliseconds.
/// - `application/dtmf` (draft-kaplan / RFC 4730-style bare body): `5`.
public enum SIPInfoDTMF {
    /// Parses an INFO body by its Content-Type (parameters and case ignored). Nil when the body
    /// does not carry exactly one valid key.
    public static func parse(body: String, contentType: String) -> DTMFDigit? {
        let type = contentType.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch type {
        case "application/dtmf-relay": return parseRelay(body)
        case "application/dtmf": return parseKey(body.trimmingCharacters(in: .whitespacesAndNewlines), duration: nil)
        default: return nil
        }
    }

    static func parseRelay(_ body: String) -> DTMFDigit? {
        var signal: Substring?
        var duration: Int?
        for line in body.split(whereSeparator: \.isNewline) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "signal": signal = Substring(value)
            case "duration": duration = Int(value).flatMap { $0 >= 0 && $0 <= 60_000 ? $0 : nil }
            default: continue
            }
        }
        guard let signal else { return nil }
        return parseKey(String(signal), duration: duration)
    }

    static func parseKey(_ text: String, duration: Int?) -> DTMFDigit? {
        // Some senders use event numbers ("10" for *, "11" for #) instead of the key itself.
        if text.count == 2, let n = UInt8(text), n < 16 { return DTMFDigit(event: n, durationMilliseconds: duration) }
        guard text.count == 1, let c = text.first else { return nil }
        return DTMFDigit(c, durationMilliseconds: duration)
    }
}

