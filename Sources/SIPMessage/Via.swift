/// One Via entry (RFC 3261 §20.42, §18.2.1 `received`, RFC 3581 `rport`).
public struct Via: Sendable, Equatable {
    /// "2.0".
    public var version: String
    /// Upper-cased transport token: UDP, TCP, TLS, SCTP, WS, or an unknown token.
    public var transport: String
    public var host: String
    public var port: Int?
    public var parameters: [(name: String, value: String?)]

    public init(transport: String, host: String, port: Int? = nil, branch: String? = nil,
                parameters: [(name: String, value: String?)] = [], version: String = "2.0") {
        self.version = version
        self.transport = transport.uppercased()
        self.host = host
        self.port = port
        self.parameters = parameters
        if let branch { self.branch = branch }
    }

    public func parameter(_ name: String) -> String?? {
        for p in parameters where p.name.lowercased() == name.lowercased() { return .some(p.value) }
        return .none
    }

    public mutating func setParameter(_ name: String, _ value: String?) {
        if let i = parameters.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            parameters[i].value = value
        } else {
            parameters.append((name, value))
        }
    }

    public var branch: String? {
        get { parameter("branch") ?? nil }
        set { if let newValue { setParameter("branch", newValue) } else { parameters.removeAll { $0.name.lowercased() == "branch" } } }
    }
    public var received: String? { parameter("received") ?? nil }
    /// `rport` present without value is `.some(nil)`.
    public var rport: Int?? {
        switch parameter("rport") {
        case .none: return .none
        case .some(.none): return .some(nil)
        case .some(.some(let v)): return .some(Int(v))
        }
    }

    /// RFC 3261 §8.1.1.7: branch starting with the magic cookie.
    public var hasRFC3261Branch: Bool { branch?.hasPrefix("z9hG4bK") ?? false }

    public static func == (a: Via, b: Via) -> Bool { a.description == b.description }
}

extension Via: CustomStringConvertible {
    public var description: String {
        var s = "SIP/\(version)/\(transport) \(host.contains(":") ? "[\(host)]" : host)"
        if let port { s += ":\(port)" }
        for p in parameters { s += ";" + p.name + (p.value.map { "=" + $0 } ?? "") }
        return s
    }
}
