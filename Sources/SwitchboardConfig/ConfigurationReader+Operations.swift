import Yams

extension ConfigurationReader {
    /// `metrics: 127.0.0.1:9090`, `[::1]:9090`, a bare port (loopback), or `off`.
    mutating func metrics(_ node: Node) -> SwitchboardConfiguration.MetricsEndpoint? {
        guard let text = scalar(node) else { return nil }
        if ["off", "false", "no", "none"].contains(text.lowercased()) { return nil }
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                fail(node, "metrics addresses look like 127.0.0.1:9090 or [::1]:9090, got '\(text)'")
                return nil
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[text.index(close, offsetBy: 2)...])
        } else if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                fail(node, "IPv6 metrics addresses need brackets: [::1]:9090")
                return nil
            }
            host = parts[0]
            portText = parts[1]
        }
        guard CIDR.parseAddress(host) != nil else {
            fail(node, "'\(host)' is not an IP address (metrics: 127.0.0.1:9090, or off)")
            return nil
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            fail(node, "'\(portText)' is not a port number (metrics: 127.0.0.1:9090, or off)")
            return nil
        }
        return .init(host: host, port: port)
    }

    /// `drain-grace: 30s`: 0 to 1 h.
    mutating func drainGrace(_ node: Node) -> Double? {
        guard let seconds = seconds(node) else { return nil }
        guard (0...3600).contains(seconds) else {
            fail(node, "drain-grace must be between 0s and 1h")
            return nil
        }
        return seconds
    }
}

extension SwitchboardConfiguration {
    /// Where `/metrics` is served (Prometheus text format).
    public struct MetricsEndpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        /// 127.0.0.0/8 or ::1 (also written ::ffff:127.x): reachable from this host only.
        public var isLoopback: Bool {
            CIDR("127.0.0.0/8")!.contains(host) || CIDR("::1")!.contains(host)
        }
    }
}
