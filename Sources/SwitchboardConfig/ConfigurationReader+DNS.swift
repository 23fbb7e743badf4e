import Yams

extension SwitchboardConfiguration {
    /// `dns-server:` the name server asked for RFC 3263 SRV (and A) records.
    public struct DNSServer: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int = 53) { self.host = host; self.port = port }
        public var description: String { "\(host):\(port)" }
    }
}

extension ConfigurationReader {
    /// `dns-server: 127.0.0.1:53` or `10.0.0.2` (port 53). IPv4 only: the DNS client is.
    mutating func dnsServer(_ node: Node) -> SwitchboardConfiguration.DNSServer? {
        guard let text = scalar(node) else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, CIDR.parseAddress(parts[0]) != nil else {  // parts[0] has no colon: IPv4
            fail(node, "dns-server must be an IPv4 address with an optional port, like 127.0.0.1:53, got '\(text)'")
            return nil
        }
        var port = 53
        if parts.count == 2 {
            guard let p = Int(parts[1]), (1...65535).contains(p) else {
                fail(node, "'\(parts[1])' is not a port number (dns-server: 127.0.0.1:53)")
                return nil
            }
            port = p
        }
        return .init(host: parts[0], port: port)
    }
}
