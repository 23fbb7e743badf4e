import Foundation

extension SwitchboardConfiguration {
    /// `tls:` the certificate our `tls:`/`wss:` listeners present (and our outbound TLS
    /// connections, to servers that ask), and whom we trust. Paths relative to the config
    /// file's directory. Read at start and again on SIGHUP (new connections get the new
    /// certificate; established ones keep theirs).
    public struct TLS: Sendable, Equatable {
        /// `certificate:` PEM chain, leaf first.
        public var certificateFile: String
        /// `private-key:` PEM key of the leaf (keep it mode 600, owned by the daemon's user).
        public var privateKeyFile: String
        /// `client-ca:` PEM CAs that client certificates must chain to.
        public var clientCAFile: String?
        /// `verify-clients:` require a client certificate signed by `client-ca`. Default false.
        public var verifyClients = false
        /// `ca:` PEM CAs trusted for outbound TLS (trunks, `sips:` targets); default: the
        /// system's roots.
        public var trustedCAFile: String?

        public init(certificateFile: String, privateKeyFile: String) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }
    }
}

extension SwitchboardConfiguration.Listen {
    static let transports: Set<String> = ["udp", "tcp", "tls", "ws", "wss"]

    /// RFC 3261 §19.1.2 (5060, 5061 for TLS); WebSocket has none of its own (RFC 7118 §5
    /// uses the HTTP ports), so 80/443.
    static func defaultPort(_ transport: String) -> Int {
        switch transport {
        case "tls": return 5061
        case "ws": return 80
        case "wss": return 443
        default: return 5060
        }
    }

    /// Whether this listener needs the `tls:` certificate.
    public var usesTLS: Bool { transport == "tls" || transport == "wss" }
}
