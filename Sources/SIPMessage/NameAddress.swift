/// From, To, Contact, Route, Record-Route values (RFC 3261 §20.10, §20.20, §20.39).
public struct NameAddress: Sendable, Equatable {
    public var displayName: String?
    public var uri: SIPURI
    /// Header parameters (outside the `<>`), e.g. `tag`, `expires`.
    public var parameters: [(name: String, value: String?)]

    public init(displayName: String? = nil, uri: SIPURI, parameters: [(name: String, value: String?)] = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    public func parameter(_ name: String) -> String?? {
        for p in parameters where p.name.lowercased() == name.lowercased() { return .some(p.value) }
        return .none
    }

    public var tag: String? {
        get { parameter("tag") ?? nil }
        set {
            parameters.removeAll { $0.name.lowercased() == "tag" }
            if let newValue { parameters.append(("tag", newValue)) }
        }
    }

    public static func == (a: NameAddress, b: NameAddress) -> Bool { a.description == b.description }
}

extension NameAddress: CustomStringConvertible {
    public var description: String {
        var s = ""
        if let displayName, !displayName.isEmpty { s += "\"\(displayName)\" " }
        s += "<\(uri)>"
        for p in parameters { s += ";" + p.name + (p.value.map { "=" + $0 } ?? "") }
        return s
    }
}

/// CSeq (RFC 3261 §20.16).
public struct CSeq: Sendable, Equatable, CustomStringConvertible {
    public var sequence: UInt32
    public var method: SIPMethod
    public init(sequence: UInt32, method: SIPMethod) { self.sequence = sequence; self.method = method }
    public var description: String { "\(sequence) \(method.rawValue)" }
}
