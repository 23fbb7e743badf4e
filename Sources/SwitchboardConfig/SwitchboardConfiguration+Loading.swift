import Foundation
import Yams

extension SwitchboardConfiguration {
    static let knownKeys: Set<String> = [
        "listen", "trusted-networks", "dialplans", "log-level", "server-header", "pid-file", "limits", "timers",
        "calls", "trunks", "advertised-address", "default-region", "journal", "database", "node-id",
        "metrics", "drain-grace", "media", "dns-server", "access-refresh", "security",
        "admin-token-file", "sip", "registrar", "tls", "websocket",
    ]

    /// Loads and validates `path`. Every problem is collected with its position; the
    /// configuration is returned only when there is none.
    public static func load(path: String) throws(ConfigurationError) -> SwitchboardConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError([ConfigurationDiagnostic(path: path, line: 1, column: 1,
                                                              message: "cannot read configuration: \(error.localizedDescription)")])
        }
        var config = try parse(yaml: text, path: path)
        let base = (path as NSString).deletingLastPathComponent
        if !config.dialplanDirectory.hasPrefix("/") {
            config.dialplanDirectory = base.isEmpty ? config.dialplanDirectory : base + "/" + config.dialplanDirectory
        }
        if let journal = config.journalDirectory, !journal.hasPrefix("/"), !base.isEmpty {
            config.journalDirectory = base + "/" + journal
        }
        return config
    }

    public static func parse(yaml text: String, path: String) throws(ConfigurationError) -> SwitchboardConfiguration {
        var reader = ConfigurationReader(path: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError([reader.diagnostic(for: error)])
        } catch {
            throw ConfigurationError([ConfigurationDiagnostic(path: path, line: 1, column: 1, message: "\(error)")])
        }
        var config = SwitchboardConfiguration()
        var metricsNode: Node?
        var listenNode: Node?
        var tlsNode: Node?
        guard let root else { return config }
        guard let map = root.mapping else {
            reader.fail(root, "the configuration must be a mapping of keys to values")
            throw ConfigurationError(reader.diagnostics)
        }
        for (keyNode, value) in map {
            let key = keyNode.string ?? ""
            switch key {
            case "listen":
                listenNode = value
                if let items = reader.sequence(value) {
                    config.listen = items.compactMap { reader.listen($0) }
                }
            case "trusted-networks":
                if let items = reader.sequence(value) {
                    config.trustedNetworks = items.compactMap { item in
                        guard let s = reader.scalar(item) else { return nil }
                        guard let cidr = CIDR(s) else {
                            reader.fail(item, "'\(s)' is not an IP address or CIDR network")
                            return nil
                        }
                        return cidr
                    }
                }
            case "dialplans":
                if let s = reader.scalar(value) { config.dialplanDirectory = s }
            case "log-level":
                if let s = reader.scalar(value) {
                    let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                    if levels.contains(s) { config.logLevel = s } else {
                        reader.fail(value, "unknown log level '\(s)' (expected one of \(levels.joined(separator: ", ")))")
                    }
                }
            case "server-header":
                config.serverHeader = reader.scalar(value)
            case "pid-file":
                config.pidFile = reader.scalar(value)
            case "limits":
                config.limits = reader.limits(value)
            case "timers":
                config.timers = reader.timers(value)
            case "calls":
                config.calls = reader.calls(value)
            case "media":
                config.media = reader.media(value)
            case "sip":
                config.sip = reader.sip(value)
            case "trunks":
                if let items = reader.sequence(value) { config.trunks = items.compactMap { reader.trunk($0) } }
            case "journal":
                if let s = reader.scalar(value) { config.journalDirectory = s }
            case "database":
                if let s = reader.scalar(value) { config.database = s }
            case "access-refresh":
                if let x = reader.seconds(value) { config.accessRefreshSeconds = max(1, x) }
            case "node-id":
                if let s = reader.scalar(value) { config.nodeID = s }
            case "advertised-address":
                if let s = reader.scalar(value) {
                    if CIDR.parseAddress(s) == nil { reader.fail(value, "'\(s)' is not an IP address") }
                    config.advertisedAddress = s
                }
            case "default-region":
                if let s = reader.scalar(value) {
                    if s.count == 2, s.allSatisfy(\.isUppercase) { config.defaultRegion = s } else {
                        reader.fail(value, "'\(s)' is not an ISO 3166 region code like US or GB")
                    }
                }
            case "metrics":
                metricsNode = value
                config.metrics = reader.metrics(value)
            case "admin-token-file":
                if let file = reader.scalar(value) {
                    let base = (path as NSString).deletingLastPathComponent
                    let resolved = file.hasPrefix("/") || base.isEmpty ? file : base + "/" + file
                    config.adminTokenFile = resolved
                    switch AdminToken.read(path: resolved) {
                    case .success(let token): config.adminToken = token
                    case .failure(let error): reader.fail(value, error.message)
                    }
                }
            case "drain-grace":
                if let seconds = reader.drainGrace(value) { config.drainGraceSeconds = seconds }
            case "dns-server":
                config.dnsServer = reader.dnsServer(value)
            case "security":
                config.security = reader.security(value)
            case "registrar":
                config.registrar = reader.registrar(value)
            case "tls":
                tlsNode = value
                config.tls = reader.tls(value, base: (path as NSString).deletingLastPathComponent)
            case "websocket":
                config.webSocket = reader.webSocket(value)
            default:
                reader.unknownKey(keyNode, known: knownKeys)
            }
        }
        // An admin endpoint other hosts can reach must not answer strangers: refuse the
        // combination outright rather than warn (issue 13: admin endpoints are private).
        if let endpoint = config.metrics, let metricsNode, !endpoint.isLoopback, config.adminTokenFile == nil {
            reader.fail(metricsNode, "metrics on \(endpoint) is reachable from other hosts: set admin-token-file "
                        + "(a file holding a bearer token), or listen on 127.0.0.1")
        }
        reader.checkTLSUse(config, listenNode: listenNode, tlsNode: tlsNode)
        if !reader.diagnostics.isEmpty { throw ConfigurationError(reader.diagnostics) }
        return config
    }
}
