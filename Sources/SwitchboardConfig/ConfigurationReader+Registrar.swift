import Yams

extension SwitchboardConfiguration {
    /// `registrar:` agents registering with digest authentication (issue 15). The registrar
    /// runs when a `database:` is configured (agents and bindings live there) unless
    /// `enabled: false`. The daemon maps this onto the Registrar target's configuration.
    public struct Registrar: Sendable, Equatable {
        /// `enabled:` default true (only effective with a database).
        public var enabled = true
        /// `realm:` the digest realm. Default "switchboard". Agents' HA1s depend on it.
        public var realm = "switchboard"
        /// `domain:` the only Request-URI host REGISTERs are taken for; default any.
        public var domain: String?
        /// `expires: { min, max, default }` seconds. Defaults 60, 3600, 3600.
        public var minExpires = 60
        public var maxExpires = 3600
        public var defaultExpires = 3600
        /// `max-contacts:` bindings per agent. Default 10.
        public var maxContacts = 10
        /// `nonce-lifetime:` Default 300 s.
        public var nonceLifetimeSeconds = 300.0
        /// `auth: { md5: true }` also offers MD5 (after SHA-256) for old phones; `auth:
        /// { algorithms: [SHA-256, MD5] }` gives the order explicitly. Default SHA-256 only.
        public var algorithms = ["SHA-256"]
        /// `failures: { per-source, per-user, window, block }`. Defaults 5, 10, 300 s, 900 s.
        public var failuresPerSource = 5
        public var failuresPerUser = 10
        public var failureWindowSeconds = 300.0
        public var blockSeconds = 900.0
        /// `refresh:` how often agents' credentials are re-read from the database. Default 5 s.
        public var refreshSeconds = 5.0
        public init() {}
    }
}

extension ConfigurationReader {
    mutating func registrar(_ node: Node) -> SwitchboardConfiguration.Registrar {
        var r = SwitchboardConfiguration.Registrar()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return r }
        let known: Set<String> = ["enabled", "realm", "domain", "expires", "max-contacts", "nonce-lifetime", "auth",
                                  "failures", "refresh"]
        for (k, v) in map {
            switch k.string ?? "" {
            case "enabled":
                if let s = scalar(v) {
                    if let b = ["true": true, "false": false, "yes": true, "no": false][s] { r.enabled = b } else {
                        fail(v, "enabled is true or false")
                    }
                }
            case "realm":
                if let s = scalar(v) {
                    if s.isEmpty || s.contains("\"") || s.contains("\\") { fail(v, "realm must be non-empty, without quotes or backslashes") }
                    else { r.realm = s }
                }
            case "domain": r.domain = scalar(v)
            case "expires":
                guard let m = v.mapping else { fail(v, "expected a mapping { min, max, default }"); continue }
                for (ek, ev) in m {
                    switch ek.string ?? "" {
                    case "min": if let x = int(ev, in: 1...86_400) { r.minExpires = x }
                    case "max": if let x = int(ev, in: 1...604_800) { r.maxExpires = x }
                    case "default": if let x = int(ev, in: 1...604_800) { r.defaultExpires = x }
                    default: unknownKey(ek, known: ["min", "max", "default"])
                    }
                }
                if r.minExpires > r.maxExpires { fail(v, "expires.min (\(r.minExpires)) is above expires.max (\(r.maxExpires))") }
                if r.defaultExpires < r.minExpires || r.defaultExpires > r.maxExpires {
                    fail(v, "expires.default must lie between expires.min and expires.max")
                }
            case "max-contacts": if let x = int(v, in: 1...1000) { r.maxContacts = x }
            case "nonce-lifetime": if let x = seconds(v) { r.nonceLifetimeSeconds = max(10, x) }
            case "refresh": if let x = seconds(v) { r.refreshSeconds = max(1, x) }
            case "auth":
                guard let m = v.mapping else { fail(v, "expected a mapping { md5: true|false, algorithms: [...] }"); continue }
                for (ak, av) in m {
                    switch ak.string ?? "" {
                    case "md5":
                        if let s = scalar(av) {
                            if s == "true" { if !r.algorithms.contains("MD5") { r.algorithms.append("MD5") } }
                            else if s != "false" { fail(av, "md5 is true or false") }
                        }
                    case "algorithms":
                        if let items = sequence(av) {
                            let names = items.compactMap { scalar($0)?.uppercased() }
                            for (item, name) in zip(items, names) where !["SHA-256", "MD5"].contains(name) {
                                fail(item, "unknown digest algorithm '\(name)' (SHA-256 or MD5)")
                            }
                            if names.isEmpty { fail(av, "algorithms needs at least one of SHA-256, MD5") } else { r.algorithms = names }
                        }
                    default: unknownKey(ak, known: ["md5", "algorithms"])
                    }
                }
            case "failures":
                guard let m = v.mapping else { fail(v, "expected a mapping { per-source, per-user, window, block }"); continue }
                for (fk, fv) in m {
                    switch fk.string ?? "" {
                    case "per-source": if let x = int(fv, in: 1...1_000_000) { r.failuresPerSource = x }
                    case "per-user": if let x = int(fv, in: 1...1_000_000) { r.failuresPerUser = x }
                    case "window": if let x = seconds(fv) { r.failureWindowSeconds = max(1, x) }
                    case "block": if let x = seconds(fv) { r.blockSeconds = x }
                    default: unknownKey(fk, known: ["per-source", "per-user", "window", "block"])
                    }
                }
            default: unknownKey(k, known: known)
            }
        }
        return r
    }
}
