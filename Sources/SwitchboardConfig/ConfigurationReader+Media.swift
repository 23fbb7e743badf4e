import Yams

extension SwitchboardConfiguration {
    /// Anchored media for IVR and queue calls (`media:`).
    public struct Media: Sendable, Equatable {
        /// Address RTP sockets bind to and that our SDP advertises. Default 127.0.0.1.
        public var address = "127.0.0.1"
        /// RTP/RTCP port range (RTP even, RTCP the odd port above). Default 20000-29999.
        public var ports: ClosedRange<Int> = 20000...29999
        /// No RTP from an IVR or bridged leg for this long ends the call. Default 60 s.
        public var timeoutSeconds = 60.0
        /// Event-loop threads carrying RTP (packet clocks, relay), apart from the SIP loop so
        /// signalling bursts do not delay packets. Nil: one per core but the SIP loop's, at least one.
        public var threads: Int?
        public init() {}

        /// `threads`, or the default for a machine with `cores` cores.
        public func threadCount(cores: Int) -> Int { threads ?? max(1, cores - 1) }
    }
}

extension ConfigurationReader {
    /// `media: { address: 127.0.0.1, ports: 20000-29999, timeout: 60s, threads: 2 }`
    mutating func media(_ node: Node) -> SwitchboardConfiguration.Media {
        var media = SwitchboardConfiguration.Media()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return media }
        let known: Set<String> = ["address", "ports", "timeout", "threads"]
        for (k, v) in map {
            switch k.string ?? "" {
            case "address":
                if let s = scalar(v) {
                    if CIDR.parseAddress(s) == nil { fail(v, "'\(s)' is not an IP address") } else { media.address = s }
                }
            case "ports":
                if let s = scalar(v) {
                    let parts = s.split(separator: "-", omittingEmptySubsequences: false)
                    if parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 1024, hi <= 65535, hi - lo >= 3 {
                        media.ports = lo...hi
                    } else {
                        fail(v, "ports is a range like 20000-29999 (1024-65535, at least two RTP/RTCP pairs), got '\(s)'")
                    }
                }
            case "timeout":
                if let x = seconds(v) {
                    if x >= 1 { media.timeoutSeconds = x } else { fail(v, "media timeout must be at least 1s") }
                }
            case "threads":
                if let x = int(v, in: 1...256) { media.threads = x }
            default: unknownKey(k, known: known)
            }
        }
        return media
    }
}
