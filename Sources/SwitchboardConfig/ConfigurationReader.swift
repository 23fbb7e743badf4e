import Yams

/// Reads typed values off a Yams node tree, recording a positioned diagnostic for each
/// problem instead of stopping at the first, so an admin sees every mistake in one run.
struct ConfigurationReader {
    let path: String
    var diagnostics: [ConfigurationDiagnostic] = []

    init(path: String) { self.path = path }

    mutating func fail(_ node: Node, _ message: String) {
        diagnostics.append(ConfigurationDiagnostic(path: path, line: node.mark?.line ?? 1,
                                                   column: node.mark?.column ?? 1, message: message))
    }

    func diagnostic(for error: YamlError) -> ConfigurationDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ConfigurationDiagnostic(path: path, line: mark.line, column: mark.column, message: "YAML: \(problem)")
        default:
            return ConfigurationDiagnostic(path: path, line: 1, column: 1, message: "YAML: \(error)")
        }
    }

    mutating func scalar(_ node: Node) -> String? {
        guard let s = node.scalar?.string else {
            fail(node, "expected a single value")
            return nil
        }
        return s
    }

    mutating func sequence(_ node: Node) -> [Node]? {
        guard let seq = node.sequence else {
            fail(node, "expected a list")
            return nil
        }
        return Array(seq)
    }

    mutating func int(_ node: Node, in range: ClosedRange<Int>) -> Int? {
        guard let s = scalar(node) else { return nil }
        guard let v = Int(s), range.contains(v) else {
            fail(node, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(s)'")
            return nil
        }
        return v
    }

    mutating func seconds(_ node: Node) -> Double? {
        guard let s = scalar(node) else { return nil }
        guard let d = ConfigurationReader.parseDuration(s) else {
            fail(node, "'\(s)' is not a duration (use forms like 500ms, 20s, 5m, 1h)")
            return nil
        }
        return d
    }

    /// `500ms`, `20s`, `5m`, `1h`, or a bare number of seconds.
    static func parseDuration(_ s: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            if let v = Double(s.dropLast(suffix.count)), v >= 0 { return v * factor }
        }
        if let v = Double(s), v >= 0 { return v }
        return nil
    }

    mutating func unknownKey(_ key: Node, known: Set<String>) {
        let name = key.string ?? "?"
        let best = known.min { editDistance(name, $0) < editDistance(name, $1) }
        if let best, editDistance(name, best) <= max(2, name.count / 3) {
            fail(key, "unknown key '\(name)'; did you mean '\(best)'?")
        } else {
            fail(key, "unknown key '\(name)'")
        }
    }

    /// `udp:127.0.0.1:5060`, `tcp:[::1]:5060`, `tls:0.0.0.0:5061`, `ws:…`, `wss:…`.
    mutating func listen(_ node: Node) -> SwitchboardConfiguration.Listen? {
        guard let text = scalar(node) else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, SwitchboardConfiguration.Listen.transports.contains(parts[0].lowercased()) else {
            fail(node, "listen entries look like udp:127.0.0.1:5060, tcp:[::1]:5060, tls:0.0.0.0:5061, "
                 + "ws:0.0.0.0:8080 or wss:0.0.0.0:8443, got '\(text)'")
            return nil
        }
        let defaultPort = SwitchboardConfiguration.Listen.defaultPort(parts[0].lowercased())
        var rest = parts[1]
        var host: String
        var portText: String
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                fail(node, "unclosed '[' in '\(text)'")
                return nil
            }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = String(rest[rest.index(after: close)...])
            portText = rest.hasPrefix(":") ? String(rest.dropFirst()) : "\(defaultPort)"
        } else {
            let hp = rest.split(separator: ":").map(String.init)
            guard hp.count <= 2, let h = hp.first else {
                fail(node, "IPv6 addresses need brackets: tcp:[::1]:5060")
                return nil
            }
            host = h
            portText = hp.count == 2 ? hp[1] : "\(defaultPort)"
        }
        guard CIDR.parseAddress(host) != nil else {
            fail(node, "'\(host)' is not an IP address")
            return nil
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            fail(node, "'\(portText)' is not a port number")
            return nil
        }
        return .init(transport: parts[0].lowercased(), host: host, port: port)
    }

    mutating func limits(_ node: Node) -> SwitchboardConfiguration.Limits {
        var limits = SwitchboardConfiguration.Limits()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return limits }
        for (k, v) in map {
            switch k.string ?? "" {
            case "max-message-size": if let x = int(v, in: 1024...1_048_576) { limits.maxMessageSize = x }
            case "tcp-stall-timeout": if let x = seconds(v) { limits.tcpStallTimeoutSeconds = x }
            case "tcp-idle-timeout": if let x = seconds(v) { limits.tcpIdleTimeoutSeconds = x }
            case "max-tcp-connections": if let x = int(v, in: 1...1_000_000) { limits.maxTCPConnections = x }
            case "max-tcp-connections-per-source": if let x = int(v, in: 1...1_000_000) { limits.maxTCPConnectionsPerSource = x }
            case "tcp-first-request-timeout": if let x = seconds(v) { limits.tcpFirstRequestTimeoutSeconds = x }
            case "max-tcp-outbound-connections": if let x = int(v, in: 1...1_000_000) { limits.maxTCPOutboundConnections = x }
            default: unknownKey(k, known: ["max-message-size", "tcp-stall-timeout", "tcp-idle-timeout", "max-tcp-connections",
                                           "max-tcp-connections-per-source", "tcp-first-request-timeout",
                                           "max-tcp-outbound-connections"])
            }
        }
        return limits
    }

    mutating func timers(_ node: Node) -> SwitchboardConfiguration.Timers {
        var timers = SwitchboardConfiguration.Timers()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return timers }
        for (k, v) in map {
            let ms = seconds(v).map { Int(($0 * 1000).rounded()) }
            switch k.string ?? "" {
            case "t1": if let ms { timers.t1 = ms }
            case "t2": if let ms { timers.t2 = ms }
            case "t4": if let ms { timers.t4 = ms }
            default: unknownKey(k, known: ["t1", "t2", "t4"])
            }
        }
        return timers
    }
}

/// Levenshtein distance, for did-you-mean suggestions on short keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
