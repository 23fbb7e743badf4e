internal import COSIP

/// Parses and serialises SDP through libosip2's `sdp_message_*` API. It lives here, beside
/// `SIPMessageParser`, so that SIPMessage is the one target that imports COSIP: Media and the
/// engine see `SessionDescription` values only.
///
/// libosip2 is lenient (as for SIP, see design.md), so the checks RFC 4566 makes mandatory and
/// the engine relies on are done here: a size cap, `v=0`, an `o=` line, `IN` network type and
/// numeric ports.
public enum SDPCodec {
    public static let maximumSize = 16 * 1024

    public enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        case tooLarge(Int)
        case unparsable
        case missing(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .tooLarge(let n): "SDP of \(n) bytes exceeds \(SDPCodec.maximumSize)"
            case .unparsable: "SDP rejected by the parser"
            case .missing(let what): "SDP lacks \(what)"
            case .invalid(let what): "SDP has an invalid \(what)"
            }
        }
    }

    public static func parse(_ text: String) throws(Error) -> SessionDescription {
        guard text.utf8.count <= maximumSize else { throw .tooLarge(text.utf8.count) }
        var sdp: UnsafeMutablePointer<sdp_message_t>? = nil
        guard sdp_message_init(&sdp) == 0, let sdp else { throw .unparsable }
        defer { sdp_message_free(sdp) }
        guard sdp_message_parse(sdp, withCRLF(text)) == 0 else { throw .unparsable }

        guard string(sdp_message_v_version_get(sdp)) == "0" else { throw .invalid("v= line") }
        guard let sessID = string(sdp_message_o_sess_id_get(sdp)),
              let sessVersion = string(sdp_message_o_sess_version_get(sdp)),
              let oAddr = string(sdp_message_o_addr_get(sdp))
        else { throw .missing("o= line") }
        let origin = SessionDescription.Origin(
            username: string(sdp_message_o_username_get(sdp)) ?? "-",
            sessionID: sessID, sessionVersion: sessVersion,
            address: try connectionAddress(string(sdp_message_o_addrtype_get(sdp)), oAddr, "o= address type"))

        let sessionConnection = try connection(sdp, media: -1)
        let sessionAttributes = attributes(sdp, media: -1)
        var media: [MediaDescription] = []
        var pos: Int32 = 0
        while sdp_message_endof_media(sdp, pos) == 0 {
            guard let kind = string(sdp_message_m_media_get(sdp, pos)),
                  let portText = string(sdp_message_m_port_get(sdp, pos)),
                  let port = Int(portText), (0...65535).contains(port),
                  let proto = string(sdp_message_m_proto_get(sdp, pos))
            else { throw .invalid("m= line") }
            var formats: [String] = []
            var f: Int32 = 0
            while let p = string(sdp_message_m_payload_get(sdp, pos, f)) {
                formats.append(p)
                f += 1
            }
            media.append(MediaDescription(media: kind, port: port, proto: proto, formats: formats,
                                          connection: try connection(sdp, media: pos), attributes: attributes(sdp, media: pos)))
            pos += 1
        }
        return SessionDescription(origin: origin, sessionName: string(sdp_message_s_name_get(sdp)) ?? "-",
                                  connection: sessionConnection, attributes: sessionAttributes, media: media)
    }

    /// RFC 4566 §5: lines end in CRLF, and parsers SHOULD accept a bare LF too. libosip2 5.3
    /// takes LF and a bare CR as line ends, but on some m= lines ended that way (no format, an
    /// empty field, a CR at the very end) it reads past the end of the string (AddressSanitizer,
    /// found by bench/fuzz). So it only ever sees CRLF: every bare LF or CR becomes one.
    static func withCRLF(_ text: String) -> String {
        let utf8 = text.utf8
        var bare = false
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let next = utf8.index(after: i)
            if utf8[i] == 0x0A || (utf8[i] == 0x0D && (next == utf8.endIndex || utf8[next] != 0x0A)) { bare = true; break }
            i = utf8[i] == 0x0D ? utf8.index(after: next) : next
        }
        guard bare else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        var previous: UInt8 = 0
        for b in utf8 {
            if b == 0x0A {
                if previous != 0x0D { out.append(0x0D) }
                out.append(0x0A)
            } else {
                if previous == 0x0D { out.append(0x0A) }
                out.append(b)
            }
            previous = b
        }
        if previous == 0x0D { out.append(0x0A) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func serialize(_ description: SessionDescription) throws(Error) -> String {
        var sdp: UnsafeMutablePointer<sdp_message_t>? = nil
        guard sdp_message_init(&sdp) == 0, let sdp else { throw .unparsable }
        defer { sdp_message_free(sdp) }
        // The setters take ownership of heap strings (libosip2 frees them with the message).
        _ = sdp_message_v_version_set(sdp, dup("0"))
        let o = description.origin
        _ = sdp_message_o_origin_set(sdp, dup(o.username), dup(o.sessionID), dup(o.sessionVersion),
                                     dup("IN"), dup(o.address.addressType.rawValue), dup(o.address.address))
        _ = sdp_message_s_name_set(sdp, dup(description.sessionName.isEmpty ? "-" : description.sessionName))
        if let c = description.connection {
            _ = sdp_message_c_connection_add(sdp, -1, dup("IN"), dup(c.addressType.rawValue), dup(c.address), nil, nil)
        }
        _ = sdp_message_t_time_descr_add(sdp, dup("0"), dup("0"))
        for a in description.attributes {
            _ = sdp_message_a_attribute_add(sdp, -1, dup(a.name), a.value.map(dup))
        }
        for (i, m) in description.media.enumerated() {
            let pos = Int32(i)
            _ = sdp_message_m_media_add(sdp, dup(m.media), dup(String(m.port)), nil, dup(m.proto))
            for f in m.formats { _ = sdp_message_m_payload_add(sdp, pos, dup(f)) }
            if let c = m.connection {
                _ = sdp_message_c_connection_add(sdp, pos, dup("IN"), dup(c.addressType.rawValue), dup(c.address), nil, nil)
            }
            for a in m.attributes { _ = sdp_message_a_attribute_add(sdp, pos, dup(a.name), a.value.map(dup)) }
        }
        var out: UnsafeMutablePointer<CChar>? = nil
        guard sdp_message_to_str(sdp, &out) == 0, let out else { throw .invalid("description (serialiser refused it)") }
        defer { cosip_free(out) }
        return String(cString: out)
    }

    // MARK: Helpers

    private static func dup(_ s: String) -> UnsafeMutablePointer<CChar> { osip_strdup(s) }

    private static func string(_ p: UnsafeMutablePointer<CChar>?) -> String? {
        p.map { String(cString: $0) }
    }

    private static func connectionAddress(_ type: String?, _ address: String, _ what: String) throws(Error) -> SessionDescription.ConnectionAddress {
        guard let t = SessionDescription.ConnectionAddress.AddressType(rawValue: (type ?? "").uppercased()) else { throw .invalid(what) }
        // A multicast `c=` carries /ttl; a B2BUA only does unicast, keep the address part.
        let addr = address.split(separator: "/").first.map(String.init) ?? address
        return .init(addressType: t, address: addr)
    }

    private static func connection(_ sdp: UnsafeMutablePointer<sdp_message_t>, media pos: Int32) throws(Error) -> SessionDescription.ConnectionAddress? {
        guard let addr = string(sdp_message_c_addr_get(sdp, pos, 0)) else { return nil }
        guard string(sdp_message_c_nettype_get(sdp, pos, 0))?.uppercased() == "IN" else { throw .invalid("c= network type") }
        return try connectionAddress(string(sdp_message_c_addrtype_get(sdp, pos, 0)), addr, "c= address type")
    }

    private static func attributes(_ sdp: UnsafeMutablePointer<sdp_message_t>, media pos: Int32) -> [SessionDescription.Attribute] {
        var out: [SessionDescription.Attribute] = []
        var i: Int32 = 0
        while let name = string(sdp_message_a_att_field_get(sdp, pos, i)) {
            out.append(.init(name, string(sdp_message_a_att_value_get(sdp, pos, i))))
            i += 1
        }
        return out
    }
}
