import Dialplan
import Foundation
import SwitchboardConfig
import Yams

extension WebConfiguration {
    /// The outcome of reading a web configuration file: the configuration when there were no
    /// errors, and every problem as `file:line:col: severity: message`.
    public struct Loaded: Sendable {
        public var configuration: WebConfiguration?
        public var diagnostics: [Diagnostic]
    }

    static let topKeys = ["listen", "database", "dialplans", "admin-token-file", "sessions", "rate-limit",
                          "database-connections", "pool-check-interval", "trusted-proxies", "webhooks", "accounts"]

    public static func load(path: String) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else {
            return Loaded(configuration: nil, diagnostics: [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "cannot read the file")])
        }
        return parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String) -> Loaded {
        var reader = WebConfigurationReader(path: path)
        let configuration = reader.read(text)
        return Loaded(configuration: reader.diagnostics.hasErrors ? nil : configuration, diagnostics: reader.diagnostics)
    }
}

/// Walks the YAML node tree so each problem names its line and column (like the dialplans).
struct WebConfigurationReader {
    let path: String
    var diagnostics: [Diagnostic] = []

    init(path: String) { self.path = path }

    mutating func error(_ node: Node?, _ message: String) {
        let mark = node?.mark
        diagnostics.append(Diagnostic(path: path, line: mark?.line ?? 1, column: mark?.column ?? 1, severity: .error, message: message))
    }

    mutating func read(_ text: String) -> WebConfiguration {
        var configuration = WebConfiguration()
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                error(nil, "the file is empty")
                return configuration
            }
            root = node
        } catch let error as YamlError {
            self.error(nil, "not valid YAML: \(error)")
            return configuration
        } catch {
            self.error(nil, "not valid YAML: \(error)")
            return configuration
        }
        guard let top = mapping(root, "the web configuration", allowed: WebConfiguration.topKeys, required: ["database", "dialplans", "accounts"]) else {
            return configuration
        }
        if let node = top["listen"], let text = string(node, "listen") {
            if let (host, port) = Self.hostPort(text) { configuration.host = host; configuration.port = port }
            else { error(node, "listen must be host:port (e.g. 127.0.0.1:8088 or [::1]:8088), not '\(text)'") }
        }
        if let node = top["database"] { configuration.database = string(node, "database") }
        if let node = top["dialplans"] { configuration.dialplans = string(node, "dialplans") }
        if let node = top["admin-token-file"], let file = string(node, "admin-token-file") {
            switch AdminToken.read(path: file) {
            case .success(let token): configuration.adminToken = token
            case .failure(let problem): error(node, problem.message)
            }
        }
        if let node = top["database-connections"], let text = string(node, "database-connections") {
            if let n = Int(text), (1...64).contains(n) { configuration.databaseConnections = n }
            else { error(node, "database-connections must be a whole number from 1 to 64") }
        }
        if let node = top["trusted-proxies"] {
            if case .sequence(let items) = node {
                for item in items {
                    guard let text = string(item, "a trusted proxy") else { continue }
                    if let cidr = CIDR(text) { configuration.trustedProxies.append(cidr) }
                    else { error(item, "'\(text)' is not an address or CIDR block (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)") }
                }
            } else {
                error(node, "trusted-proxies must be a list of CIDR blocks")
            }
        }
        if let node = top["pool-check-interval"], let s = duration(node, "pool-check-interval") {
            if s < 1 { error(node, "pool-check-interval must be at least 1s") } else { configuration.poolCheckInterval = s }
        }
        if let node = top["sessions"], let entries = mapping(node, "sessions", allowed: ["idle-timeout", "attribution-grace"]) {
            if let v = entries["idle-timeout"], let s = duration(v, "idle-timeout") {
                if s < 10 { error(v, "idle-timeout must be at least 10s") } else { configuration.sessions.idleTimeout = s }
            }
            if let v = entries["attribution-grace"], let s = duration(v, "attribution-grace") {
                configuration.sessions.attributionGrace = s
            }
        }
        if let node = top["rate-limit"], let entries = mapping(node, "rate-limit", allowed: ["burst", "per-second"]) {
            if let v = entries["burst"], let text = string(v, "burst") {
                if let n = Double(text), n >= 1 { configuration.rateLimit.burst = n } else { error(v, "burst must be a number of requests, at least 1") }
            }
            if let v = entries["per-second"], let text = string(v, "per-second") {
                if let n = Double(text), n > 0 { configuration.rateLimit.perSecond = n } else { error(v, "per-second must be a positive number") }
            }
        }
        if let node = top["webhooks"] { configuration.webhooks = webhookPolicy(node) }
        if let node = top["accounts"] { configuration.accounts = accounts(node) }
        return configuration
    }

    private mutating func webhookPolicy(_ node: Node) -> WebhookPolicy {
        var policy = WebhookPolicy()
        let keys = ["interval", "timeout", "max-attempts", "initial-backoff", "max-backoff", "lookback", "batch"]
        guard let entries = mapping(node, "webhooks", allowed: keys) else { return policy }
        func seconds(_ key: String, _ range: ClosedRange<Int>, _ set: (inout WebhookPolicy, Int) -> Void) {
            guard let v = entries[key], let s = duration(v, key) else { return }
            if range.contains(s) { set(&policy, s) } else { error(v, "\(key) must be from \(range.lowerBound)s to \(range.upperBound)s") }
        }
        seconds("interval", 1...3600) { $0.interval = $1 }
        seconds("timeout", 1...120) { $0.timeout = $1 }
        seconds("initial-backoff", 1...86_400) { $0.initialBackoff = $1 }
        seconds("max-backoff", 1...604_800) { $0.maxBackoff = $1 }
        seconds("lookback", 60...2_592_000) { $0.lookback = $1 }
        for (key, range) in [("max-attempts", 1...100), ("batch", 1...1000)] {
            guard let v = entries[key], let text = string(v, key) else { continue }
            guard let n = Int(text), range.contains(n) else { error(v, "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)"); continue }
            if key == "batch" { policy.batch = n } else { policy.maxAttempts = n }
        }
        if policy.maxBackoff < policy.initialBackoff, let v = entries["max-backoff"] {
            error(v, "max-backoff must not be shorter than initial-backoff")
        }
        return policy
    }

    /// `webhooks: { urls: [...], events: [call.completed, call.missed], secret-file: path }`
    private mutating func accountWebhooks(_ node: Node, account: String) -> AccountWebhooks? {
        guard let entries = mapping(node, "the webhooks of account '\(account)'", allowed: ["urls", "events", "secret-file"],
                                    required: ["urls", "secret-file"]),
              let urlsNode = entries["urls"], let secretNode = entries["secret-file"] else { return nil }
        var urls: [String] = []
        if case .sequence(let items) = urlsNode {
            if items.isEmpty || items.count > AccountWebhooks.maximumURLs {
                error(urlsNode, "urls must list 1 to \(AccountWebhooks.maximumURLs) endpoints")
            }
            for item in items {
                guard let text = string(item, "a webhook URL") else { continue }
                if Self.isWebhookURL(text) { urls.append(text) }
                else { error(item, "'\(text)' is not an http(s) URL with a host (at most 2,048 characters)") }
            }
        } else {
            error(urlsNode, "urls must be a list such as [\"https://crm.example.com/hooks/calls\"]")
        }
        var events = WebhookEvent.allCases
        if let eventsNode = entries["events"] {
            events = []
            if case .sequence(let items) = eventsNode, !items.isEmpty {
                for item in items {
                    guard let text = string(item, "an event") else { continue }
                    if let event = WebhookEvent(rawValue: text) { if !events.contains(event) { events.append(event) } }
                    else { error(item, "unknown event '\(text)' (expected call.completed or call.missed)") }
                }
            } else {
                error(eventsNode, "events must be a non-empty list of call.completed, call.missed")
            }
        }
        guard let file = string(secretNode, "secret-file") else { return nil }
        switch WebhookSecret.read(path: file) {
        case .success(let secret):
            return urls.isEmpty || events.isEmpty ? nil : AccountWebhooks(urls: urls, events: events, secret: secret)
        case .failure(let problem):
            error(secretNode, problem.message)
            return nil
        }
    }

    static func isWebhookURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty, url.fragment == nil else { return false }
        return true
    }

    private mutating func accounts(_ node: Node) -> [String: WebAccount] {
        guard case .mapping(let mapping) = node else {
            error(node, "accounts must be a mapping of account name to { public-key, origins }")
            return [:]
        }
        var result: [String: WebAccount] = [:]
        var keys: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { error(key, "account names must be plain names"); continue }
            guard let entries = self.mapping(value, "account '\(name)'", allowed: ["public-key", "origins", "webhooks"], required: ["public-key", "origins"]),
                  let keyNode = entries["public-key"], let publicKey = string(keyNode, "public-key"),
                  let originsNode = entries["origins"] else { continue }
            if publicKey.count < 8 || !publicKey.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                error(keyNode, "public-key must be at least 8 letters, digits, '_' or '-'")
                continue
            }
            if let other = keys[publicKey] { error(keyNode, "public-key is already the key of account '\(other)'"); continue }
            keys[publicKey] = name
            guard case .sequence(let items) = originsNode else { error(originsNode, "origins must be a list such as [\"https://www.example.com\"]"); continue }
            var origins: [String] = []
            for item in items {
                guard let text = string(item, "an origin") else { continue }
                if Self.isOrigin(text) { origins.append(text) }
                else { error(item, "'\(text)' is not an origin (scheme://host[:port], no path, e.g. https://www.example.com)") }
            }
            if origins.isEmpty && !items.isEmpty { continue }
            if items.isEmpty { error(originsNode, "account '\(name)' lists no origins: no page could ask for a number") }
            let webhooks = entries["webhooks"].flatMap { accountWebhooks($0, account: name) }
            result[name] = WebAccount(name: name, publicKey: publicKey, origins: origins, webhooks: webhooks)
        }
        return result
    }

    // MARK: - Node helpers

    private mutating func mapping(_ node: Node, _ what: String, allowed: [String], required: [String] = []) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, allowed.contains(name) else {
                error(key, "unknown key '\(key.scalar?.string ?? "?")' in \(what) (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            result[name] = value
        }
        for name in required where result[name] == nil { error(node, "\(what) is missing '\(name)'") }
        return result
    }

    private mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else { error(node, "\(what) must be a single value"); return nil }
        return scalar.string
    }

    /// `90s`, `30m`, `2h`, or plain seconds.
    private mutating func duration(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        if let s = Self.seconds(text) { return s }
        error(node, "\(what) must be a duration such as 90s, 30m or 1h, not '\(text)'")
        return nil
    }

    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        if let n = Int(text), n >= 0 { return n }
        guard let unit = text.last, let factor = units[unit], let n = Int(text.dropLast()), n >= 0 else { return nil }
        return n * factor
    }

    static func hostPort(_ text: String) -> (String, Int)? {
        let host: Substring, port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let p = Int(port), (1...65535).contains(p) else { return nil }
        return (String(host), p)
    }

    static func isOrigin(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil, url.path.isEmpty, url.query == nil, url.fragment == nil, !text.hasSuffix("/") else { return false }
        return true
    }
}
