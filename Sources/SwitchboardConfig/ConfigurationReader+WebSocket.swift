import Yams

extension ConfigurationReader {
    /// `websocket: { allowed-origins: [https://app.example.com], allow-missing-origin: true }`.
    mutating func webSocket(_ node: Node) -> SwitchboardConfiguration.WebSocket {
        var ws = SwitchboardConfiguration.WebSocket()
        guard let map = node.mapping else { fail(node, "expected a mapping { allowed-origins, allow-missing-origin }"); return ws }
        for (k, v) in map {
            switch k.string ?? "" {
            case "allowed-origins":
                guard let items = sequence(v) else { continue }
                ws.allowedOrigins = items.compactMap { item in
                    guard let origin = scalar(item) else { return nil }
                    if let problem = Self.originProblem(origin) { fail(item, problem); return nil }
                    return origin.lowercased()
                }
            case "allow-missing-origin":
                switch scalar(v) {
                case "true": ws.allowMissingOrigin = true
                case "false": ws.allowMissingOrigin = false
                case let other?: fail(v, "allow-missing-origin is true or false, got '\(other)'")
                case nil: break
                }
            default: unknownKey(k, known: ["allowed-origins", "allow-missing-origin"])
            }
        }
        return ws
    }

    /// An Origin is what a browser sends (RFC 6454 §6.1): `scheme://host[:port]`, no path.
    static func originProblem(_ origin: String) -> String? {
        let lower = origin.lowercased()
        guard let schemeEnd = lower.range(of: "://") else {
            return "origin '\(origin)' must be scheme://host[:port] (as browsers send it, e.g. https://app.example.com)"
        }
        let scheme = lower[..<schemeEnd.lowerBound], rest = lower[schemeEnd.upperBound...]
        guard ["http", "https"].contains(scheme) else { return "origin '\(origin)' must start with https:// or http://" }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains(" "), !rest.hasPrefix(":") else {
            return "origin '\(origin)' must be scheme://host[:port] with no path (no trailing /)"
        }
        return nil
    }
}
