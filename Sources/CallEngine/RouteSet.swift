import SIPMessage

/// A dialog's route set (RFC 3261 §12.1.1: the Record-Route of the request, in order, at a
/// UAS; §12.1.2: the Record-Route of the response, reversed, at a UAC) and what it makes of a
/// request inside the dialog (§12.2.1.1): the Request-URI, the Route headers and the next hop.
struct RouteSet: Equatable {
    /// In the order requests carry them: the first is the next hop.
    var routes: [NameAddress]

    init(_ routes: [NameAddress] = []) { self.routes = routes }

    /// At a UAS: the request's Record-Route as it came.
    static func uas(recordRoutes: [NameAddress]) -> RouteSet { RouteSet(recordRoutes) }
    /// At a UAC: the response's Record-Route, reversed.
    static func uac(recordRoutes: [NameAddress]) -> RouteSet { RouteSet(recordRoutes.reversed()) }

    var isEmpty: Bool { routes.isEmpty }

    /// The first route is a loose router (`lr`, RFC 3261 §16.12.1.1); an empty set counts as loose.
    var isLoose: Bool { routes.first.map { $0.uri.parameter("lr") != nil } ?? true }

    struct Target: Equatable {
        var requestURI: SIPURI
        var routes: [NameAddress]
        /// Where the request goes first (§8.1.2): the first Route, or the Request-URI.
        var nextHop: SIPURI
    }

    /// §12.2.1.1 for a request to `remoteTarget`.
    func target(remoteTarget: SIPURI) -> Target {
        guard let first = routes.first else {
            return Target(requestURI: remoteTarget, routes: [], nextHop: remoteTarget)
        }
        if isLoose {
            // The Request-URI is the remote target; the route set goes in Route as it is.
            return Target(requestURI: remoteTarget, routes: routes, nextHop: first.uri)
        }
        // A strict router wants itself in the Request-URI (stripped of parameters a
        // Request-URI may not carry, §19.1.1: `method` and headers), the rest of the route
        // set, then the remote target, in Route.
        var uri = first.uri
        uri.parameters.removeAll { $0.name.lowercased() == "method" }
        uri.headers = []
        return Target(requestURI: uri, routes: Array(routes.dropFirst()) + [NameAddress(uri: remoteTarget)], nextHop: uri)
    }

    /// The peer for `nextHop`: its own address when it is an IP literal (a `sip:` URI), else
    /// `fallback` (where the dialog's requests came from, or the resolved target). The
    /// transport stays the fallback's unless the URI names one.
    static func peer(for nextHop: SIPURI, fallback: SIPPeer) -> SIPPeer {
        guard nextHop.isSIP, TargetResolution.isIPLiteral(nextHop.host) else { return fallback }
        var transport = fallback.transport
        if case .some(.some(let name)) = nextHop.parameter("transport"),
           let named = SIPTransportProtocol(rawValue: name.uppercased()) {
            transport = named
        }
        let defaultPort = nextHop.scheme == "sips" || transport == .tls ? 5061 : 5060
        return SIPPeer(transport: transport, host: nextHop.host, port: nextHop.port ?? defaultPort)
    }
}
