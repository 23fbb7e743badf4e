import SIPMessage

/// Turns a plan's target into the Request-URI of the outbound INVITE and the peer it is sent
/// to. Only what the plan names can be dialled: the URI comes from the dialplan, never from
/// the caller (toll-fraud rule), and `tel:` numbers go out only through a configured trunk.
struct TargetResolution {
    var uri: SIPURI
    var peer: SIPPeer
    var trunk: CallEngineConfiguration.Trunk?

    enum Failure: Error, Equatable {
        case noTrunk(String)
        case invalidURI(String)
        /// Host names need resolving (DNS); a target written with an IP address does not.
        case unresolvedHost(String)
    }

    /// - Parameter resolvedAddress: the IP address a host name resolved to (DNS is done off
    ///   the event loop by the engine's `HostResolver`, then this is called again with it).
    /// - Parameter resolvedPort: the port RFC 3263 location found (SRV) for a URI without one.
    static func resolve(target: String, contact: String?, configuration: CallEngineConfiguration,
                        resolvedAddress: String? = nil, resolvedPort: Int? = nil) -> Result<TargetResolution, Failure> {
        let lower = target.lowercased()
        if lower.hasPrefix("tel:") {
            let number = String(target.dropFirst(4))
            let candidates = configuration.trunks.filter { trunk in
                trunk.prefixes.isEmpty || trunk.prefixes.contains { number.hasPrefix($0) }
            }
            // Longest matching prefix wins; a catch-all trunk comes last.
            guard let trunk = candidates.max(by: { longestPrefix($0, number) < longestPrefix($1, number) }) else {
                return .failure(.noTrunk(number))
            }
            var user = trunk.stripPlus ? String(number.drop(while: { $0 == "+" })) : number
            user = trunk.dialPrefix + user
            var params: [(name: String, value: String?)] = [("user", "phone")]
            if trunk.transport != .udp { params.append(("transport", trunk.transport.rawValue.lowercased())) }
            let uri = SIPURI(user: user, host: trunk.host, port: trunk.port, parameters: params)
            return .success(TargetResolution(uri: uri, peer: SIPPeer(transport: trunk.transport, host: trunk.host, port: trunk.port), trunk: trunk))
        }
        let text = lower.hasPrefix("agent:") ? (contact ?? "") : target
        guard let uri = SIPURI(parsing: Substring(text)), uri.isSIP else { return .failure(.invalidURI(text)) }
        let address: String
        if isIPLiteral(uri.host) {
            address = uri.host
        } else if let resolvedAddress {
            address = resolvedAddress
        } else {
            return .failure(.unresolvedHost(uri.host))
        }
        let transport = transport(of: uri, configuration: configuration)
        // RFC 3261 §19.1.2: 5061 for TLS (a `sips:` URI or transport=tls).
        let defaultPort = transport == .tls ? 5061 : 5060
        return .success(TargetResolution(uri: uri, peer: SIPPeer(transport: transport, host: address,
                                                                  port: uri.port ?? resolvedPort ?? defaultPort), trunk: nil))
    }

    /// What RFC 3263 location needs of a `sip:` target: its explicit port and transport.
    static func locationQuery(target: String, contact: String?,
                              configuration: CallEngineConfiguration) -> (port: Int?, transport: SIPTransportProtocol)? {
        let text = target.lowercased().hasPrefix("agent:") ? (contact ?? "") : target
        guard let uri = SIPURI(parsing: Substring(text)), uri.isSIP else { return nil }
        return (uri.port, transport(of: uri, configuration: configuration))
    }

    /// The URI's `transport` parameter, else the configured default (NAPTR is not consulted).
    /// A `sips:` URI is always reached over TLS (RFC 3261 §26.2.2; RFC 5630 §3.1.3: its
    /// transport=tcp means TLS over TCP).
    static func transport(of uri: SIPURI, configuration: CallEngineConfiguration) -> SIPTransportProtocol {
        if uri.scheme == "sips" { return .tls }
        if case .some(.some(let t)) = uri.parameter("transport"), let p = SIPTransportProtocol(rawValue: t.uppercased()) {
            return p
        }
        return configuration.defaultTransport
    }

    static func longestPrefix(_ trunk: CallEngineConfiguration.Trunk, _ number: String) -> Int {
        trunk.prefixes.filter { number.hasPrefix($0) }.map(\.count).max() ?? 0
    }

    static func isIPLiteral(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".")
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
