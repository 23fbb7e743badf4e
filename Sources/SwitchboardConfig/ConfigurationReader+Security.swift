import Yams

extension SwitchboardConfiguration {
    /// `security:` what strangers get and the flood limits (the daemon's edge policy).
    /// The edge target has its own copy of these values; the daemon maps one to the other.
    public struct Security: Sendable, Equatable {
        /// `untrusted:` reject (one stateless 403) or drop (silence). Default reject.
        public var untrusted = "reject"
        /// `flood.requests` in `flood.window` from one untrusted address. Default 16 in 2 s.
        public var floodRequests = 16
        public var floodWindowSeconds = 2.0
        /// `flood.new-calls`: out-of-dialog INVITEs per window from one untrusted address. Default 4.
        public var floodNewCalls = 4
        /// `flood.ban`: how long an address over its limit is dropped. Default 300 s.
        public var banSeconds = 300.0
        /// `trusted-flood.requests` in `trusted-flood.window` from one trusted address; the
        /// excess is dropped, never banned. Default 10000 in 1 s.
        public var trustedFloodRequests = 10_000
        public var trustedFloodWindowSeconds = 1.0
        /// `max-sources`: addresses tracked at once (buckets and bans). Default 16384.
        public var maxSources = 16_384
        public init() {}
    }
}

extension ConfigurationReader {
    mutating func security(_ node: Node) -> SwitchboardConfiguration.Security {
        var security = SwitchboardConfiguration.Security()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return security }
        let known: Set<String> = ["untrusted", "flood", "trusted-flood", "max-sources"]
        for (k, v) in map {
            switch k.string ?? "" {
            case "untrusted":
                if let s = scalar(v) {
                    if ["reject", "drop"].contains(s) { security.untrusted = s } else {
                        fail(v, "untrusted is reject (one stateless 403) or drop (silence), got '\(s)'")
                    }
                }
            case "flood":
                guard let flood = v.mapping else { fail(v, "expected a mapping"); continue }
                let floodKeys: Set<String> = ["requests", "window", "new-calls", "ban"]
                for (fk, fv) in flood {
                    switch fk.string ?? "" {
                    case "requests": if let x = int(fv, in: 1...1_000_000) { security.floodRequests = x }
                    case "window": if let x = positiveSeconds(fv) { security.floodWindowSeconds = x }
                    case "new-calls": if let x = int(fv, in: 1...1_000_000) { security.floodNewCalls = x }
                    case "ban": if let x = seconds(fv) { security.banSeconds = x }
                    default: unknownKey(fk, known: floodKeys)
                    }
                }
            case "trusted-flood":
                guard let flood = v.mapping else { fail(v, "expected a mapping"); continue }
                let floodKeys: Set<String> = ["requests", "window"]
                for (fk, fv) in flood {
                    switch fk.string ?? "" {
                    case "requests": if let x = int(fv, in: 1...10_000_000) { security.trustedFloodRequests = x }
                    case "window": if let x = positiveSeconds(fv) { security.trustedFloodWindowSeconds = x }
                    default: unknownKey(fk, known: floodKeys)
                    }
                }
            case "max-sources": if let x = int(v, in: 16...10_000_000) { security.maxSources = x }
            default: unknownKey(k, known: known)
            }
        }
        return security
    }

    /// A duration that must not be zero (a bucket's window).
    mutating func positiveSeconds(_ node: Node) -> Double? {
        guard let x = seconds(node) else { return nil }
        guard x > 0 else { fail(node, "the window must be longer than zero"); return nil }
        return x
    }
}
