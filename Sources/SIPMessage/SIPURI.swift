/// A SIP or SIPS URI (RFC 3261 §19.1), or any other absolute URI kept opaque
/// (`tel:`, `isbn:`, … RFC 4475 §3.3.4).
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
    /// Lower-cased scheme: "sip", "sips", "tel", or anything else.
    public var scheme: String
    /// User part, still %-escaped as received (RFC 4475 §3.1.1.3: unescape once, when comparing).
    public var user: String?
    public var password: String?
    /// Host without brackets for IPv6 (`2001:db8::1`), as received otherwise.
    public var host: String
    public var port: Int?
    /// URI parameters in order; a parameter without value has `nil`.
    public var parameters: [(name: String, value: String?)]
    /// `?` headers of the URI, in order.
    public var headers: [(name: String, value: String)]
    /// For schemes other than sip/sips: everything after the colon, verbatim.
    public var opaque: String?

    public init(scheme: String = "sip", user: String? = nil, password: String? = nil, host: String,
                port: Int? = nil, parameters: [(name: String, value: String?)] = [],
                headers: [(name: String, value: String)] = [], opaque: String? = nil) {
        self.scheme = scheme.lowercased()
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
        self.opaque = opaque
    }

    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    public func parameter(_ name: String) -> String?? {
        for p in parameters where p.name.lowercased() == name.lowercased() { return .some(p.value) }
        return .none
    }

    /// Host as it goes on the wire: IPv6 literals in brackets.
    public var hostForWire: String { host.contains(":") ? "[\(host)]" : host }

    public var description: String {
        if !isSIP, let opaque { return "\(scheme):\(opaque)" }
        var s = scheme + ":"
        if let user {
            s += user
            if let password { s += ":" + password }
            s += "@"
        }
        s += hostForWire
        if let port { s += ":\(port)" }
        for p in parameters { s += ";" + p.name + (p.value.map { "=" + $0 } ?? "") }
        if !headers.isEmpty { s += "?" + headers.map { "\($0.name)=\($0.value)" }.joined(separator: "&") }
        return s
    }

    public static func == (a: SIPURI, b: SIPURI) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }
}
