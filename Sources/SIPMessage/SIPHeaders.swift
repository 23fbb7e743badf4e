/// The header section of a message, in order, with names as received.
///
/// Typed accessors (`via`, `from`, `cSeq`, …) parse on demand from the stored values, which
/// keep unknown headers intact. Names compare case-insensitively and compact forms
/// (RFC 3261 §7.3.3: `v`, `f`, `t`, `i`, `m`, `l`, `c`, `k`, `s`, `e`) are canonicalised on insert.
public struct SIPHeaders: Sendable, Equatable, Sequence {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public private(set) var fields: [Field] = []

    public init() {}
    public init(_ pairs: [(String, String)]) { for (n, v) in pairs { add(n, v) } }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: SIPHeaders.canonicalName(name), value: value))
    }

    /// Replace every field of that name by one value (or remove them all when `value` is nil).
    public mutating func set(_ name: String, _ value: String?) {
        let canon = SIPHeaders.canonicalName(name)
        let key = canon.lowercased()
        let position = fields.firstIndex { $0.name.lowercased() == key }
        var kept: [Field] = []
        kept.reserveCapacity(fields.count + 1)
        for (i, f) in fields.enumerated() {
            if f.name.lowercased() != key { kept.append(f) }
            else if i == position, let value { kept.append(Field(name: canon, value: value)) }
        }
        if position == nil, let value { kept.append(Field(name: canon, value: value)) }
        fields = kept
    }

    public mutating func remove(_ name: String) { set(name, nil) }

    /// Insert at the top (a proxy's Via, RFC 3261 §16.6 step 8).
    public mutating func prepend(_ name: String, _ value: String) {
        fields.insert(Field(name: SIPHeaders.canonicalName(name), value: value), at: 0)
    }

    public func first(_ name: String) -> String? {
        let key = SIPHeaders.canonicalName(name).lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    public func values(_ name: String) -> [String] {
        let key = SIPHeaders.canonicalName(name).lowercased()
        return fields.filter { $0.name.lowercased() == key }.map(\.value)
    }

    public subscript(_ name: String) -> String? { first(name) }

    /// RFC 3261 §7.3.3 compact forms to their long names; other names unchanged.
    public static func canonicalName(_ name: String) -> String {
        // Fast path, no allocation: a name of a length none of ours has is returned as is.
        switch name.utf8.count {
        case 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16: break
        default: return name
        }
        switch name.lowercased() {
        case "v", "via": return "Via"
        case "f", "from": return "From"
        case "t", "to": return "To"
        case "i", "call-id": return "Call-ID"
        case "m", "contact": return "Contact"
        case "l", "content-length": return "Content-Length"
        case "c", "content-type": return "Content-Type"
        case "k", "supported": return "Supported"
        case "s", "subject": return "Subject"
        case "e", "content-encoding": return "Content-Encoding"
        case "cseq": return "CSeq"
        case "max-forwards": return "Max-Forwards"
        case "route": return "Route"
        case "record-route": return "Record-Route"
        case "require": return "Require"
        case "proxy-require": return "Proxy-Require"
        case "allow": return "Allow"
        case "accept": return "Accept"
        case "user-agent": return "User-Agent"
        case "server": return "Server"
        case "reason": return "Reason"
        case "retry-after": return "Retry-After"
        case "unsupported": return "Unsupported"
        case "expires": return "Expires"
        default: return name
        }
    }
}
