/// Where a leg rings: a SIP URI, an E.164 number sent through a trunk, or an agent.
public enum Target: Sendable, Hashable, CustomStringConvertible {
    /// `sip:alice@pbx.example` / `sips:…`, kept as written.
    case sip(String)
    /// `tel:+14155550123`, normalised to E.164.
    case tel(String)
    /// `agent:bob`, an agent defined in the account's `agents:` section with
    /// the contact used when the agent is not registered.
    case agent(name: String, contact: String)

    public var description: String {
        switch self {
        case .sip(let uri): uri
        case .tel(let number): "tel:\(number)"
        case .agent(let name, _): "agent:\(name)"
        }
    }

    /// Parses a target as written in a dialplan; returns the reason on failure.
    /// `agents` maps agent names to their contact URIs.
    static func parse(_ text: String, agents: [String: String]) -> Result<Target, TargetError> {
        let lower = text.lowercased()
        if lower.hasPrefix("sip:") || lower.hasPrefix("sips:") {
            let rest = text.drop(while: { $0 != ":" }).dropFirst()
            let hostPart = rest.split(separator: "@", maxSplits: 1).last.map(String.init) ?? ""
            let host = hostPart.split(whereSeparator: { ";:?>".contains($0) }).first.map(String.init) ?? ""
            guard !rest.isEmpty, !host.isEmpty, !rest.contains(where: \.isWhitespace),
                  host.allSatisfy({ $0.isLetter || $0.isNumber || "-.[]".contains($0) }) else {
                return .failure(TargetError("invalid SIP URI '\(text)' (expected sip:user@host)"))
            }
            return .success(.sip(text))
        }
        if lower.hasPrefix("tel:") {
            let number = String(text.dropFirst(4))
            guard PhoneNumber.isStrictE164(number), let phone = PhoneNumber(e164: number) else {
                return .failure(TargetError("invalid tel: target '\(text)' (expected tel:+ and an E.164 number)"))
            }
            return .success(.tel(phone.e164))
        }
        if lower.hasPrefix("agent:") {
            let name = String(text.dropFirst(6))
            guard let contact = agents[name] else {
                return .failure(TargetError("unknown agent '\(name)'" + EditDistance.hint(for: name, among: agents.keys.sorted())))
            }
            return .success(.agent(name: name, contact: contact))
        }
        return .failure(TargetError("invalid target '\(text)' (expected sip:, tel: or agent:)"))
    }
}

struct TargetError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
