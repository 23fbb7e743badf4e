internal import COSIP
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
///    CSeq, Max-Forwards, Content-Length framing, Request-URI syntax, empty list elements).
/// 3. libosip2 parses the message as framed; a message it refuses is refused. Its Via
///    structures become `Via` values. From/To/Contact/Route/Record-Route and URIs are parsed
///    by `NameAddress(bytes:)`/`SIPURI(bytes:)` instead, because libosip2 unescapes user parts
///    and parameters (RFC 4475 §3.1.1.3 wants them kept as received). Call-ID, CSeq,
///    Content-Type and every other header come verbatim from stage 1, so unknown headers keep
///    the name and value they arrived with; the body is our own Content-Length slice.
public enum SIPMessageParser {
    private static let bootstrapped = Mutex(false)
    /// Set once `parser_init()` has run; checked (one atomic load) before every parse.
    private static let ready = Atomic<Bool>(false)
    private static let traceLogger = Mutex<Logger?>(nil)

    /// Call once at start-up, before any concurrent parse: `parser_init()` is not thread-safe
    /// (shared/design.md). Later calls only replace the logger. libosip2's trace output, which
    /// Debian's build otherwise prints to stdout, goes to `logger`.
    public static func bootstrap(logger: Logger) {
        traceLogger.withLock { $0 = logger }
        initialiseOnce()
    }

    /// `parser_init()` exactly once, under the lock. A parse before `bootstrap` lands here too,
    /// so forgetting it cannot corrupt parses (trace output is then dropped, not printed).
    private static func initialiseOnce() {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            _ = parser_init()
            // FATAL…INFO1; libosip2 reports malformed input at ERROR level. That is the peer's
            // fault, not ours, so it is logged at debug (a peer must not flood our error log).
            cosip_install_trace(osipTrace, TRACE_LEVEL4)
            ready.store(true, ordering: .releasing)
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

    public static func parse(_ bytes: ArraySlice<UInt8>, limits: SIPLimits = SIPLimits(),
                             framing: SIPFraming = .datagram) -> Result<SIPMessage, SIPParseError> {
        bytes.withUnsafeBufferPointer { parse($0, limits: limits, framing: framing) }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: SIPLimits = SIPLimits(),
                             framing: SIPFraming = .datagram) -> Result<SIPMessage, SIPParseError> {
        parse(bytes.bindMemory(to: UInt8.self), limits: limits, framing: framing)
    }

    static func parse(_ p: UnsafeBufferPointer<UInt8>, limits: SIPLimits,
                      framing: SIPFraming) -> Result<SIPMessage, SIPParseError> {
        if !ready.load(ordering: .acquiring) { initialiseOnce() }
        if p.count > limits.maxMessageSize {
            // Scan only the allowed prefix, for the values of the error response (RFC 3261 §21.5.14).
            let head = UnsafeBufferPointer(rebasing: p[0..<max(0, limits.maxMessageSize)])
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

        // libosip2 sees the message as we framed it (bytes past Content-Length cut off); the
        // body value is our own slice, not libosip2's (it splits multipart bodies).
        var sip: UnsafeMutablePointer<osip_message_t>?
        guard osip_message_init(&sip) == 0, let msg = sip else { return .failure(raw.error(500, "Out of memory")) }
        defer { osip_message_free(msg) }
        let nonSIPTarget = !raw.isResponse && !isSIPScheme(v.requestURI)
        // libosip2 MIME-parses a multipart body and leaks a malformed part's headers
        // (LeakSanitizer, found by bench/fuzz). The Content-Type and body we keep are our own.
        let multipart = raw.headers.contains { $0.kind == .contentType && $0.value.lowercased().contains("multipart") }
        let status: Int32
        if raw.headerTerminated && !raw.hasNUL && !nonSIPTarget && !multipart {
            status = p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: v.bodyEnd) { base in
                osip_message_parse(msg, base + raw.messageStart, v.bodyEnd - raw.messageStart)
            }
        } else {
            // Rare inputs libosip2 cannot take as they are, handed over as a patched copy:
            // - a header section not closed by an empty line: over UDP the datagram's end
            //   closes it (RFC 4475 README, baddn);
            // - NUL bytes (legal as quoted-pairs, RFC 4475 §3.1.1.2): C strings would stop there,
            //   so they become spaces; the values we keep come from our own pass, NULs included;
            // - a Request-URI of a scheme libosip2 cannot parse (`soap.beep://…`, RFC 4475
            //   §3.3.3): we keep it opaque and RequestChecks answers 416;
            // - a multipart body: its Content-Type is renamed, so libosip2 takes the body as
            //   one opaque part and never runs its leaking MIME parse.
            var copy: [UInt8] = []
            copy.reserveCapacity(v.bodyEnd - raw.messageStart + 8)
            if nonSIPTarget {
                copy.append(contentsOf: "\(v.method) sip:invalid.invalid SIP/2.0\r\n".utf8)
            } else {
                copy.append(contentsOf: UnsafeBufferPointer(rebasing: p[raw.messageStart..<raw.headersStart]))
            }
            let headersAt = copy.count
            for k in raw.headersStart..<raw.bodyStart { copy.append(p[k] == 0 ? 0x20 : p[k]) }
            if multipart { hideContentType(in: &copy, from: headersAt) }
            if !raw.headerTerminated { copy.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A]) }
            copy.append(contentsOf: UnsafeBufferPointer(rebasing: p[raw.bodyStart..<v.bodyEnd]))
            status = copy.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { osip_message_parse(msg, $0, b.count) }
            }
        }
        guard status == 0 else { return .failure(raw.error(400, diagnose(raw))) }

        // Via from libosip2. Name-addresses and URIs are ours (NameAddress+Parse.swift says why).
        guard let vias = list(msg.pointee.vias, via), !vias.isEmpty else { return .failure(raw.error(400, "Malformed Via")) }
        var from: NameAddress?, to: NameAddress?
        var contacts: [NameAddress] = [], routes: [NameAddress] = [], recordRoutes: [NameAddress] = []
        var headers = SIPHeaders()
        var callID = ""
        var contentType: String?
        for h in raw.headers {
            switch h.kind {
            case .from, .to:
                let u = Array(h.value.utf8)
                guard let na = NameAddress(bytes: u[...]) else {
                    return .failure(raw.error(400, "\(h.kind == .from ? "From" : "To"): \(why(u, list: false))"))
                }
                if isTooShortForLibosip2(na) { return .failure(raw.error(400, "\(h.kind == .from ? "From" : "To"): \(shortURIReason)")) }
                if h.kind == .from { from = na } else { to = na }
            case .contact:
                // `Contact: *` (RFC 3261 §10.2.2) is no address: it stays a plain header.
                if h.value == "*" { headers.add("Contact", "*"); continue }
                let u = Array(h.value.utf8)
                let before = contacts.count
                guard NameAddress.parseList(u, into: &contacts) else { return .failure(raw.error(400, "Contact: \(why(u, list: true))")) }
                if contacts[before...].contains(where: isTooShortForLibosip2) { return .failure(raw.error(400, "Contact: \(shortURIReason)")) }
            case .route where !raw.isResponse:
                let u = Array(h.value.utf8)
                let before = routes.count
                guard NameAddress.parseList(u, into: &routes) else { return .failure(raw.error(400, "Route: \(why(u, list: true))")) }
                if routes[before...].contains(where: isTooShortForLibosip2) { return .failure(raw.error(400, "Route: \(shortURIReason)")) }
            case .recordRoute:
                let u = Array(h.value.utf8)
                let before = recordRoutes.count
                guard NameAddress.parseList(u, into: &recordRoutes) else { return .failure(raw.error(400, "Record-Route: \(why(u, list: true))")) }
                if recordRoutes[before...].contains(where: isTooShortForLibosip2) { return .failure(raw.error(400, "Record-Route: \(shortURIReason)")) }
            case .callID: callID = h.value
            case .contentType: contentType = h.value
            case .other: headers.add(h.name, h.value)
            case .route: headers.add("Route", h.value)
            case .maxForwards where raw.isResponse: headers.add("Max-Forwards", h.value)
            case .via, .cSeq, .maxForwards, .contentLength: break
            }
        }
        guard let from, let to else { return .failure(raw.error(400, "Missing From or To")) }
        let body = Array(UnsafeBufferPointer(rebasing: p[raw.bodyStart..<v.bodyEnd]))
        let cSeq = CSeq(sequence: v.cSeqNumber, method: SIPMethod(v.cSeqMethod))

        if raw.isResponse {
            return .success(.response(SIPResponse(
                statusCode: v.statusCode, reasonPhrase: v.reasonPhrase, vias: vias, from: from, to: to,
                callID: callID, cSeq: cSeq, contacts: contacts, recordRoutes: recordRoutes,
                contentType: contentType, headers: headers, body: body)))
        }
        guard let uri = SIPURI(parsing: Substring(v.requestURI)) else {
            return .failure(raw.error(400, "Malformed Request-URI"))
        }
        var request = SIPRequest(
            method: SIPMethod(v.method), uri: uri, vias: vias, from: from, to: to, callID: callID, cSeq: cSeq,
            maxForwards: v.maxForwards, contacts: contacts, routes: routes, recordRoutes: recordRoutes,
            contentType: contentType, headers: headers, body: body)
        request.receivedText = ReceivedHeaderText(
            viaLines: raw.headers.filter { $0.kind == .via }.map(\.value), vias: vias,
            from: raw.first(.from) ?? "", parsedFrom: from, to: raw.first(.to) ?? "", parsedTo: to,
            cSeq: raw.first(.cSeq) ?? "", parsedCSeq: cSeq)
        return .success(.request(request))
    }

    /// Why a name-addr value failed the (strict) parse; NameAddressSyntax runs on this error
    /// path only.
    private static func why(_ u: [UInt8], list: Bool) -> String {
        NameAddressSyntax.check(u, allowList: list) ?? "malformed"
    }

    /// Why libosip2 refused a message, in our words when we can tell (for the Warning header).
    private static func diagnose(_ raw: SIPRawMessage) -> String {
        for h in raw.headers {
            let name: String
            switch h.kind {
            case .from: name = "From"
            case .to: name = "To"
            case .contact where h.value != "*": name = "Contact"
            case .route: name = "Route"
            case .recordRoute: name = "Record-Route"
            default: continue
            }
            let u = Array(h.value.utf8)
            let list = h.kind != .from && h.kind != .to
            var sink: [NameAddress] = []
            var ok = true
            if list { ok = NameAddress.parseList(u, into: &sink) } else if let na = NameAddress(bytes: u[...]) { sink = [na] } else { ok = false }
            if !ok { return "\(name): \(why(u, list: list))" }
            if sink.contains(where: isTooShortForLibosip2) { return "\(name): \(shortURIReason)" }
        }
        return "Unparseable message"
    }

    /// libosip2 5.3 refuses a name-addr whose URI has fewer than 6 characters (`<sip:u>`,
    /// `<tel:1>`) and a 5-character addr-spec followed by parameters (`sip:u;tag=1`), though
    /// RFC 3261 allows both; it takes only the bare `sip:u`. We write every address as a
    /// name-addr (as libosip2 does), so after accepting the bare form our own copy of the
    /// message, and the responses and requests we build from it, would be unparseable by us
    /// and by every libosip2-based peer (found by bench/fuzz). Such addresses are refused in
    /// every form, with a reason that says why; a real host name or number is never this short.
    private static func isTooShortForLibosip2(_ na: NameAddress) -> Bool {
        let uri = na.uri
        // Scheme, colon and a host of 5 make 6 already: the usual case, without building a String.
        if uri.isSIP, uri.host.utf8.count >= 5 { return false }
        return uri.description.utf8.count < 6
    }

    private static let shortURIReason = "URI shorter than 6 characters"

    /// The Request-URI's scheme is sip or sips (case-insensitive).
    private static func isSIPScheme(_ uri: String) -> Bool {
        var u = uri.utf8.makeIterator()
        guard u.next().map({ $0 | 0x20 }) == UInt8(ascii: "s"), u.next().map({ $0 | 0x20 }) == UInt8(ascii: "i"),
              u.next().map({ $0 | 0x20 }) == UInt8(ascii: "p") else { return false }
        let c = u.next()
        if c == UInt8(ascii: ":") { return true }
        return c.map { $0 | 0x20 } == UInt8(ascii: "s") && u.next() == UInt8(ascii: ":")
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

    /// A Via from libosip2's structure, re-checked: libosip2 accepts a missing or odd version
    /// and an empty host, which we could not send back out (RFC 3261 §20.42, §25.1).
    private static func via(_ p: UnsafeMutablePointer<osip_via_t>) -> Via? {
        let v = p.pointee
        guard let host = string(v.host), let proto = string(v.protocol), string(v.version) == "2.0",
              !proto.isEmpty, proto.utf8.allSatisfy(SIPMessageValidator.isTokenChar),
              !host.isEmpty, host.utf8.allSatisfy(isHostChar) else { return nil }
        var port: Int?
        if let ps = string(v.port) {
            guard let n = SIPMessageValidator.decimal(ps), n <= 65535 else { return nil }
            port = n
        }
        let params = genericParams(v.via_params)
        for (name, value) in params {
            guard !name.isEmpty, name.utf8.allSatisfy(SIPMessageValidator.isTokenChar),
                  value.map({ !$0.isEmpty && $0.utf8.allSatisfy(isParamValueChar) }) ?? true else { return nil }
        }
        // Brackets only enclose an IPv6 reference (RFC 3261 §25.1 sent-by): libosip2 takes
        // `[a[2.10]` as the host `a[2.10`, which we would write back bare and it refuses.
        let normalised = normalisedHost(host)
        guard !normalised.utf8.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }) else { return nil }
        return Via(transport: proto, host: normalised, port: port, parameters: params, version: "2.0")
    }

    /// hostname, IPv4 or IPv6 characters (brackets already removed or kept by libosip2).
    private static func isHostChar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "["), UInt8(ascii: "]"):
            return true
        default: return false
        }
    }

    /// A Via parameter value: token, host (with `[]` for received=, RFC 5118 §4.5) or quoted-string.
    private static func isParamValueChar(_ c: UInt8) -> Bool {
        c > 0x20 && c != 0x7F && c != UInt8(ascii: ";") && c != UInt8(ascii: ",")
    }

    /// Brackets off; RFC 5118 §4.10 asks to tolerate `2001:db8:::192.0.2.1` as `2001:db8::192.0.2.1`.
    private static func normalisedHost(_ host: String) -> String {
        var h = host
        if h.utf8.first == UInt8(ascii: "["), h.utf8.last == UInt8(ascii: "]") { h = String(h.dropFirst().dropLast()) }
        if SIPURI.hasTripleColon(h) { h = SIPURI.collapseColons(h) }
        return h
    }

    // MARK: benchmark support

    /// Renames every Content-Type header line (`Content-Type`, compact `c`) from `start` on to
    /// an unknown name of the same length (`Xontent-Type`, `X`), in place.
    static func hideContentType(in bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBufferPointer { m in
            let p = UnsafeBufferPointer(m)
            var line = start
            while line < p.count {
                var end = line
                while end < p.count, p[end] != 0x0A { end += 1 }
                if p[line] != 0x20, p[line] != 0x09,
                   let colon = (line..<end).first(where: { p[$0] == UInt8(ascii: ":") }) {
                    var nameEnd = colon
                    while nameEnd > line, p[nameEnd - 1] == 0x20 || p[nameEnd - 1] == 0x09 { nameEnd -= 1 }
                    if SIPHeaderKind.classify(p, line, nameEnd) == .contentType { m[line] = UInt8(ascii: "X") }
                }
                line = end + 1
            }
        }
    }

    /// libosip2 on its own, parse and free only. For `ParseBench` only; 1 on success.
    public static func libosip2ParseOnly(_ bytes: [UInt8]) -> Int {
        if bytes.isEmpty { return -2 }
        if !ready.load(ordering: .acquiring) { initialiseOnce() }
        return bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { Int(cosip_parse_free($0, b.count)) }
        }
    }

    /// libosip2 on its own: parse, `osip_message_to_str`, free. For `ParseBench` only.
    /// Returns the serialised length, or a negative value on failure.
    public static func libosip2RoundTrip(_ bytes: [UInt8]) -> Int {
        if bytes.isEmpty { return -2 }
        if !ready.load(ordering: .acquiring) { initialiseOnce() }
        return bytes.withUnsafeBufferPointer { b in
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

}
