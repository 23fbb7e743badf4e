/// One `m=` section of an SDP (RFC 4566 §5.14) with its own `c=` and `a=` lines.
public struct MediaDescription: Hashable, Sendable {
    public var media: String
    /// 0 means the stream is rejected or disabled (RFC 3264 §5.1, §6).
    public var port: Int
    public var proto: String
    /// Payload type numbers, in the offerer's order of preference (RFC 3264 §5.1).
    public var formats: [String]
    public var connection: SessionDescription.ConnectionAddress?
    public var attributes: [SessionDescription.Attribute]

    public init(media: String = "audio", port: Int, proto: String = "RTP/AVP", formats: [String],
                connection: SessionDescription.ConnectionAddress? = nil, attributes: [SessionDescription.Attribute] = []) {
        self.media = media
        self.port = port
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.attributes = attributes
    }

    /// `a=rtpmap:<pt> <name>/<rate>[/<channels>]` for `payloadType`, else the RFC 3551
    /// static assignment (0 PCMU, 8 PCMA, …) which needs no rtpmap.
    public func rtpmap(for payloadType: String) -> (name: String, clockRate: Int, channels: Int)? {
        for a in attributes where a.name == "rtpmap" {
            guard let v = a.value else { continue }
            let parts = v.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0] == payloadType else { continue }
            let enc = parts[1].split(separator: "/")
            guard enc.count >= 2, let rate = Int(enc[1]) else { return nil }
            let channels = enc.count >= 3 ? Int(enc[2]) ?? 1 : 1
            return (String(enc[0]), rate, channels)
        }
        switch payloadType {
        case "0": return ("PCMU", 8000, 1)
        case "8": return ("PCMA", 8000, 1)
        case "9": return ("G722", 8000, 1)
        case "18": return ("G729", 8000, 1)
        case "13": return ("CN", 8000, 1)
        default: return nil
        }
    }

    /// `a=fmtp:<pt> <params>` for `payloadType`.
    public func fmtp(for payloadType: String) -> String? {
        for a in attributes where a.name == "fmtp" {
            guard let v = a.value else { continue }
            let parts = v.split(separator: " ", maxSplits: 1)
            if parts.first.map(String.init) == payloadType { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }

    /// `a=ptime:` in milliseconds (RFC 4566 §6).
    public var ptime: Int? {
        attributes.first { $0.name == "ptime" }?.value.flatMap { Int($0.trimmingPrefix(while: { $0 == " " })) }
    }

    public var direction: MediaDirection? {
        attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first
    }
}
