import COSIP
import Glibc
import Logging
import Synchronization

/// Bytes → `SIPMessage`. The one file that talks to libosip2 (shared/design.md); no C type
/// leaves it.
///
/// A parse runs in three stages:
/// 1. `SIPRawMessage`: a tolerant pass over the bytes (start line, unfolded header lines,
///    where the body starts). Its values also feed error responses.
/// 2. `SIPMessageValidator`: the checks libosip2 does not make (sizes, version, duplicates,
///    CSeq, Max-Forwards, Content-Length framing, name-addr and Request-URI syntax).
/// 3. libosip2 parses the structured headers (URIs, Via, From/To/Contact/Route params).
///    Headers we do not type are taken verbatim from stage 1, so unknown headers keep the
///    name and value they arrived with.
public enum SIPMessageParser {
    private static let bootstrapped = Mutex(false)
    private static let traceLogger = Mutex<Logger?>(nil)

    /// Call once at start-up, before any concurrent parse: `parser_init()` is not thread-safe
    /// (shared/design.md). Later calls only replace the logger. libosip2's trace output, which
    /// Debian's build otherwise prints to stdout, goes to `logger`.
    public static func bootstrap(logger: Logger) {
        traceLogger.withLock { $0 = logger }
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            _ = parser_init()
            // FATAL…INFO1; libosip2 reports malformed input at ERROR level. That is the peer's
            // fault, not ours, so it is logged at debug (a peer must not flood our error log).
            cosip_install_trace(osipTrace, TRACE_LEVEL4)
        }
    }

    private static let osipTrace: @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?) -> Void = { level, file, line, message in
        guard let message else { return }
        let text = String(cString: message).trimmingSuffixNewlines
        let source = file.map { String(cString: $0) } ?? "?"
        SIPMessageParser.traceLogger.withLock { logger in
            let lvl: Logger.Level = level <= Int32(TRACE_LEVEL1.rawValue) ? .warning : .debug
            logger?.log(level: lvl, "libosip2: \(text)", metadata: ["osip.source": "\(source):\(line)"])
        }
    }

    /// Parses one message. Never traps, whatever the bytes.
    public static func parse(_ bytes: [UInt8], limits: SIPLimits = SIPLimits(),
                             framing: SIPFraming = .datagram) -> Result<SIPMessage, SIPParseError> {
        bytes.withUnsafeBufferPointer { parse($0, limits: limits, framing: framing) }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: SIPLimits = SIPLimits(),
                             framing: SIPFraming = .datagram) -> Result<SIPMessage, SIPParseError> {
        parse(bytes.bindMemory(to: UInt8.self), limits: limits, framing: framing)
    }

    static func parse(_ p: UnsafeBufferPointer<UInt8>, limits: SIPLimits,
                      framing: SIPFraming) -> Result<SIPMessage, SIPParseError> {
        if p.count > limits.maxMessageSize {
            // Scan only the allowed prefix, for the values of the error response (RFC 3261 §21.5.14).
            let head = UnsafeBufferPointer(rebasing: p[0..<limits.maxMessageSize])
            let raw = SIPRawMessage(head, maxHeaderCount: limits.maxHeaderCount)
            return .failure(raw.error(513, "Message larger than \(limits.maxMessageSize) bytes"))
        }
        let raw = SIPRawMessage(p, maxHeaderCount: limits.maxHeaderCount)
        if raw.startLine.isEmpty { return .failure(raw.error(400, "Empty message")) }
        let v: SIPValidatedMessage
        switch SIPMessageValidator.validate(raw, byteCount: p.count, limits: limits, framing: framing) {
        case .success(let ok): v = ok
        case .failure(let e): return .failure(e)
        }

        // libosip2 sees the header section only (we frame the body ourselves: it would
        // otherwise split multipart bodies and trust Content-Length blindly).
        var sip: UnsafeMutablePointer<osip_message_t>?
        guard osip_message_init(&sip) == 0, let msg = sip else { return .failure(raw.error(500, "Out of memory")) }
        defer { osip_message_free(msg) }
        let status: Int32
        if raw.headerTerminated {
            status = p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.bodyStart) { base in
                osip_message_parse(msg, base + raw.messageStart, raw.bodyStart - raw.messageStart)
            }
        } else {
            // Over UDP the end of the datagram ends the header section (RFC 4475 baddn note).
            var copy = Array(UnsafeBufferPointer(rebasing: p[raw.messageStart..<p.count]))
            copy.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
            status = copy.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { osip_message_parse(msg, $0, b.count) }
            }
        }
        guard status == 0 else { return .failure(raw.error(400, "Unparseable message")) }

        let o = msg.pointee
        guard let vias = list(o.vias, via), !vias.isEmpty else { return .failure(raw.error(400, "Malformed Via")) }
        guard let fromPtr = o.from, let from = nameAddress(fromPtr) else { return .failure(raw.error(400, "Malformed From")) }
        guard let toPtr = o.to, let to = nameAddress(toPtr) else { return .failure(raw.error(400, "Malformed To")) }
        let isStar = raw.headers.contains { $0.kind == .contact && $0.value == "*" }
        guard let contacts = isStar ? [] : list(o.contacts, nameAddress) else { return .failure(raw.error(400, "Malformed Contact")) }
        guard let routes = list(o.routes, nameAddress) else { return .failure(raw.error(400, "Malformed Route")) }
        guard let recordRoutes = list(o.record_routes, nameAddress) else { return .failure(raw.error(400, "Malformed Record-Route")) }

        var headers = SIPHeaders()
        var callID = ""
        var contentType: String?
        for h in raw.headers {
            switch h.kind {
            case .callID: callID = h.value
            case .contentType: contentType = h.value
            case .other: headers.add(h.name, h.value)
            case .contact where isStar: headers.add("Contact", "*")
            case .route where raw.isResponse: headers.add("Route", h.value)
            case .maxForwards where raw.isResponse: headers.add("Max-Forwards", h.value)
            default: break
            }
        }
        let body = Array(UnsafeBufferPointer(rebasing: p[raw.bodyStart..<v.bodyEnd]))
        let cSeq = CSeq(sequence: v.cSeqNumber, method: SIPMethod(v.cSeqMethod))

        if raw.isResponse {
            return .success(.response(SIPResponse(
                statusCode: v.statusCode, reasonPhrase: v.reasonPhrase, vias: vias, from: from, to: to,
                callID: callID, cSeq: cSeq, contacts: contacts, recordRoutes: recordRoutes,
                contentType: contentType, headers: headers, body: body)))
        }
        guard let reqURI = o.req_uri, let uri = uri(reqURI, raw: v.requestURI) else {
            return .failure(raw.error(400, "Malformed Request-URI"))
        }
        return .success(.request(SIPRequest(
            method: SIPMethod(v.method), uri: uri, vias: vias, from: from, to: to, callID: callID, cSeq: cSeq,
            maxForwards: v.maxForwards, contacts: contacts, routes: routes, recordRoutes: recordRoutes,
            contentType: contentType, headers: headers, body: body)))
    }

    // MARK: libosip2 → values

    private static func string(_ p: UnsafeMutablePointer<CChar>?) -> String? {
        p.map { String(cString: $0) }
    }

    /// Every element of an osip_list_t converted, or nil when one of them fails.
    private static func list<C, T>(_ l: osip_list_t, _ convert: (UnsafeMutablePointer<C>) -> T?) -> [T]? {
        var l = l
        let n = cosip_list_size(&l)
        if n <= 0 { return [] }
        var out: [T] = []
        out.reserveCapacity(Int(n))
        for i in 0..<n {
            guard let raw = cosip_list_get(&l, i), let t = convert(raw.assumingMemoryBound(to: C.self)) else { return nil }
            out.append(t)
        }
        return out
    }

    private static func genericParams(_ l: osip_list_t) -> [(name: String, value: String?)] {
        list(l) { (p: UnsafeMutablePointer<osip_generic_param_t>) -> (name: String, value: String?)? in
            guard let name = string(p.pointee.gname) else { return nil }
            return (name, string(p.pointee.gvalue))
        } ?? []
    }

    private static func via(_ p: UnsafeMutablePointer<osip_via_t>) -> Via? {
        let v = p.pointee
        guard let host = string(v.host), let proto = string(v.protocol) else { return nil }
        var port: Int?
        if let ps = string(v.port) {
            guard let n = SIPMessageValidator.decimal(ps), n <= 65535 else { return nil }
            port = n
        }
        return Via(transport: proto, host: normalisedHost(host), port: port, parameters: genericParams(v.via_params),
                   version: string(v.version) ?? "2.0")
    }

    private static func nameAddress(_ p: UnsafeMutablePointer<osip_from_t>) -> NameAddress? {
        let f = p.pointee
        guard let u = f.url, let uri = uri(u, raw: nil) else { return nil }
        var display = string(f.displayname)
        // Keep the quoted-string's inside verbatim (escapes included), so that
        // `NameAddress.description` re-quotes it to the same bytes.
        if let d = display, d.count >= 2, d.hasPrefix("\""), d.hasSuffix("\"") {
            display = String(d.dropFirst().dropLast())
        }
        return NameAddress(displayName: display, uri: uri, parameters: genericParams(f.gen_params))
    }

    private static func uri(_ p: UnsafeMutablePointer<osip_uri_t>, raw: String?) -> SIPURI? {
        let u = p.pointee
        let scheme = string(u.scheme)?.lowercased() ?? ""
        guard scheme == "sip" || scheme == "sips" else {
            // Other schemes stay opaque (RFC 4475 §3.3.2-4): tel, isbn, http, …
            if let raw, let colon = raw.firstIndex(of: ":") {
                return SIPURI(scheme: String(raw[..<colon]), host: "", opaque: String(raw[raw.index(after: colon)...]))
            }
            guard let opaque = string(u.string), !scheme.isEmpty else { return nil }
            return SIPURI(scheme: scheme, host: "", opaque: opaque)
        }
        guard let host = string(u.host), !host.isEmpty else { return nil }
        var port: Int?
        if let ps = string(u.port), !ps.isEmpty {
            guard let n = SIPMessageValidator.decimal(ps), n <= 65535 else { return nil }
            port = n
        }
        let params = list(u.url_params) { (q: UnsafeMutablePointer<osip_uri_param_t>) -> (name: String, value: String?)? in
            guard let name = string(q.pointee.gname) else { return nil }
            return (name, string(q.pointee.gvalue))
        } ?? []
        let headers = list(u.url_headers) { (q: UnsafeMutablePointer<osip_uri_header_t>) -> (name: String, value: String)? in
            guard let name = string(q.pointee.gname) else { return nil }
            return (name, string(q.pointee.gvalue) ?? "")
        } ?? []
        return SIPURI(scheme: scheme, user: string(u.username), password: string(u.password),
                      host: normalisedHost(host), port: port, parameters: params, headers: headers)
    }

    /// Brackets off; RFC 5118 §4.10 asks to tolerate `2001:db8:::192.0.2.1` as `2001:db8::192.0.2.1`.
    private static func normalisedHost(_ host: String) -> String {
        var h = host
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h.contains(":::") { h = h.replacingOccurrences3Colons() }
        return h
    }

    // MARK: benchmark support

    /// libosip2 on its own: parse, `osip_message_to_str`, free. For `ParseBench` only.
    /// Returns the serialised length, or a negative value on failure.
    public static func libosip2RoundTrip(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { Int(cosip_parse_serialize_free($0, b.count)) }
        }
    }
}

extension String {
    fileprivate var trimmingSuffixNewlines: Substring {
        var s = Substring(self)
        while let last = s.last, last.isNewline { s = s.dropLast() }
        return s
    }

    fileprivate func replacingOccurrences3Colons() -> String {
        // Collapse any run of 3+ colons to "::".
        var out = ""
        var run = 0
        for c in self {
            if c == ":" { run += 1; if run <= 2 { out.append(c) } } else { run = 0; out.append(c) }
        }
        return out
    }
}
