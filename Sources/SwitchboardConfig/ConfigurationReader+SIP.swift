import Yams

extension SwitchboardConfiguration {
    /// `sip:` how the SIP side uses the machine.
    public struct SIP: Sendable, Equatable {
        /// Event loops carrying SIP (transport, transactions, calls). A call and everything of
        /// it lives on one of them, chosen by its Call-ID (issue 12 item 4). Nil: one per core.
        /// 1 gives the single-loop daemon of before (no SO_REUSEPORT, Call-IDs unmarked).
        public var threads: Int?
        public init() {}

        /// `threads`, or the default for a machine with `cores` cores.
        public func threadCount(cores: Int) -> Int { threads ?? max(1, cores) }
    }
}

extension ConfigurationReader {
    /// `sip: { threads: 2 }`
    mutating func sip(_ node: Node) -> SwitchboardConfiguration.SIP {
        var sip = SwitchboardConfiguration.SIP()
        guard let map = node.mapping else { fail(node, "expected a mapping"); return sip }
        for (k, v) in map {
            switch k.string ?? "" {
            case "threads":
                if let x = int(v, in: 1...64) { sip.threads = x }
            default: unknownKey(k, known: ["threads"])
            }
        }
        return sip
    }
}
