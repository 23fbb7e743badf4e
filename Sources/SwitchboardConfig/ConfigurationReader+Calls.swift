import Yams

extension ConfigurationReader {
    mutating func calls(_ node: Node) -> SwitchboardConfiguration.Calls {
        var calls = SwitchboardConfiguration.Calls()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return calls }
        let known: Set<String> = ["max-concurrent", "max-per-number", "max-per-second-per-source", "max-duration", "retry-after"]
        for (k, v) in map {
            switch k.string ?? "" {
            case "max-concurrent": if let x = int(v, in: 1...10_000_000) { calls.maxConcurrent = x }
            case "max-per-number": if let x = int(v, in: 1...1_000_000) { calls.maxPerNumber = x }
            case "max-per-second-per-source": if let x = int(v, in: 1...1_000_000) { calls.maxPerSecondPerSource = x }
            case "max-duration": if let x = seconds(v) { calls.maxDurationSeconds = x }
            case "retry-after": if let x = seconds(v) { calls.retryAfterSeconds = Int(x) }
            default: unknownKey(k, known: known)
            }
        }
        return calls
    }

    mutating func trunk(_ node: Node) -> SwitchboardConfiguration.Trunk? {
        guard let map = node.mapping else { fail(node, "a trunk is a mapping with at least name and host"); return nil }
        var trunk = SwitchboardConfiguration.Trunk(name: "", host: "")
        let known: Set<String> = ["name", "host", "port", "transport", "prefixes", "strip-plus", "dial-prefix", "forwarding",
                                  "tls-server-name"]
        for (k, v) in map {
            switch k.string ?? "" {
            case "name": trunk.name = scalar(v) ?? ""
            case "host":
                if let h = scalar(v) {
                    if CIDR.parseAddress(h) == nil { fail(v, "trunk host must be an IP address (DNS names are not resolved yet)") }
                    trunk.host = h
                }
            case "port": if let p = int(v, in: 1...65535) { trunk.port = p }
            case "transport":
                if let t = scalar(v) {
                    if ["udp", "tcp", "tls"].contains(t.lowercased()) { trunk.transport = t.lowercased() } else { fail(v, "transport is udp, tcp or tls") }
                }
            case "prefixes":
                if let items = sequence(v) {
                    trunk.prefixes = items.compactMap { item in
                        guard let p = scalar(item) else { return nil }
                        guard p.hasPrefix("+"), p.dropFirst().allSatisfy(\.isNumber) else {
                            fail(item, "prefix '\(p)' must be + and digits (E.164)")
                            return nil
                        }
                        return p
                    }
                }
            case "strip-plus": trunk.stripPlus = scalar(v) == "true"
            case "dial-prefix": trunk.dialPrefix = scalar(v) ?? ""
            case "forwarding":
                if let f = scalar(v) {
                    if ["diversion", "history-info", "none"].contains(f) { trunk.forwarding = f } else {
                        fail(v, "forwarding is diversion, history-info or none")
                    }
                }
            case "tls-server-name":
                if let n = scalar(v) {
                    if let problem = Self.serverNameProblem(n) { fail(v, problem) } else { trunk.tlsServerName = n.lowercased() }
                }
            default: unknownKey(k, known: known)
            }
        }
        if let name = trunk.tlsServerName, trunk.transport != "tls", let node = map.first(where: { $0.key.string == "tls-server-name" })?.value {
            fail(node, "tls-server-name '\(name)' needs transport: tls")
        }
        if trunk.name.isEmpty { fail(node, "trunk needs a name") }
        if trunk.host.isEmpty { fail(node, "trunk needs a host") }
        return trunk.name.isEmpty || trunk.host.isEmpty ? nil : trunk
    }

    /// Why `name` cannot be a TLS server name (a DNS host name, RFC 6066 §3: no IP literal,
    /// no port, no trailing dot), or nil when it can.
    static func serverNameProblem(_ name: String) -> String? {
        if CIDR.parseAddress(name) != nil { return "tls-server-name must be a host name, not an IP address (leave it out to check the IP)" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        return valid ? nil : "tls-server-name '\(name)' is not a host name (letters, digits, hyphens and dots)"
    }
}
