/// Where the TLS material of `tls:` and `wss:` listeners and of outbound TLS connections
/// comes from (RFC 3261 §26.3.1, RFC 5630). Paths only: the files are read when the transport
/// starts and again on `reloadTLS()` (SIGHUP), so a renewed certificate is served to new
/// connections without dropping the established ones.
public struct SIPTLSSettings: Sendable, Equatable {
    /// PEM certificate chain (leaf first) presented by our listeners and, to servers that ask,
    /// by our outbound connections.
    public var certificateFile: String
    /// PEM private key of the leaf certificate.
    public var privateKeyFile: String
    /// PEM CA certificates client certificates are checked against when `verifyClients` is
    /// set (carriers with mutual TLS).
    public var clientCAFile: String?
    /// Require and verify a client certificate on inbound TLS connections. Default off: SIP
    /// phones rarely have one; carriers' SBCs do.
    public var verifyClients: Bool
    /// PEM CA certificates our outbound TLS connections trust; nil: the system roots.
    public var trustedCAFile: String?

    public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil,
                verifyClients: Bool = false, trustedCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
        self.verifyClients = verifyClients
        self.trustedCAFile = trustedCAFile
    }
}
