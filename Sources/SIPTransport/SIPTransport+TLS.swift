import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SIPMessage

/// The TLS contexts one transport serves and connects with (event loop only). Swapped as a
/// whole by `reloadTLS`: a connection keeps the context it was accepted with, so a reload
/// never drops an established call's connection, and new connections get the new one.
struct TLSContexts {
    var server: NIOSSLContext?
    var client: NIOSSLContext?
    /// Bumped by every successful load (logged, so an operator sees a reload took effect).
    var generation = 0
}

public enum SIPTLSError: Error, Sendable, CustomStringConvertible {
    /// A `tls:`/`wss:` listener or a TLS target without `tls:` settings in the configuration.
    case notConfigured
    case unreadable(path: String, reason: String)
    case noCertificate(path: String)
    /// `verify-clients` without a CA file to verify them against.
    case noClientCA

    public var description: String {
        switch self {
        case .notConfigured: return "TLS is not configured (no certificate and key)"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .noCertificate(let path): return "\(path): no PEM certificate in the file"
        case .noClientCA: return "client certificate verification needs a CA file"
        }
    }
}

/// SIP over TLS (RFC 3261 §26.2, RFC 5630): listeners framed like TCP (`SIPStreamHandler`
/// behind `NIOSSLServerHandler`), outbound connections that verify the server, and reloads.
extension SIPTransport {
    /// Reads the certificate, key and CA files and builds the server and client contexts.
    /// TLS 1.2 is the floor (RFC 8996 deprecates 1.0 and 1.1).
    public static func makeTLSContexts(_ settings: SIPTLSSettings) throws -> (server: NIOSSLContext, client: NIOSSLContext) {
        func certificates(_ path: String) throws -> [NIOSSLCertificate] {
            let list: [NIOSSLCertificate]
            do {
                list = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw SIPTLSError.unreadable(path: path, reason: "cannot read PEM certificates (\(error))")
            }
            guard !list.isEmpty else { throw SIPTLSError.noCertificate(path: path) }
            return list
        }
        let chain = try certificates(settings.certificateFile).map(NIOSSLCertificateSource.certificate)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: settings.privateKeyFile, format: .pem)
        } catch {
            throw SIPTLSError.unreadable(path: settings.privateKeyFile, reason: "cannot read a PEM private key (\(error))")
        }
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        server.minimumTLSVersion = .tlsv12
        if settings.verifyClients {
            guard let ca = settings.clientCAFile else { throw SIPTLSError.noClientCA }
            server.trustRoots = .certificates(try certificates(ca))
            // A client certificate must chain to the CA; there is no host name to check it
            // against (carriers are then told apart by `trusted-networks`).
            server.certificateVerification = .noHostnameVerification
            server.sendCANameList = true
        }
        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv12
        client.certificateVerification = .fullVerification
        if let ca = settings.trustedCAFile { client.trustRoots = .certificates(try certificates(ca)) }
        // Presented when a server asks (carriers that want mutual TLS).
        client.certificateChain = chain
        client.privateKey = .privateKey(key)
        do {
            return (try NIOSSLContext(configuration: server), try NIOSSLContext(configuration: client))
        } catch {
            throw SIPTLSError.unreadable(path: settings.certificateFile,
                                         reason: "certificate and key do not make a TLS context (\(error))")
        }
    }

    /// Loads the configured TLS material at start (event loop not needed: before any listener).
    func loadTLSAtStart(_ endpoints: [SIPTransportConfiguration.Endpoint]) async throws {
        let needsTLS = endpoints.contains { $0.transport == .tls || $0.transport == .wss }
        guard let settings = configuration.tls else {
            if needsTLS { throw SIPTLSError.notConfigured }
            // No certificate of ours: outbound TLS (a `sips:` target, a TLS trunk) still
            // works, verifying servers against the system's roots. Loading them is never
            // fatal: a daemon without TLS configured must start whatever the system's CA
            // store looks like; outbound TLS then fails per leg, logged.
            var client = TLSConfiguration.makeClientConfiguration()
            client.minimumTLSVersion = .tlsv12
            do {
                let context = try NIOSSLContext(configuration: client)
                try await eventLoop.submit { self.tls.client = context }.get()
            } catch {
                logger.warning("outbound TLS unavailable: the system's CA roots cannot be loaded", metadata: ["error": "\(error)"])
            }
            return
        }
        let contexts = try Self.makeTLSContexts(settings)
        try await eventLoop.submit { self.installTLS(contexts) }.get()
    }

    private func installTLS(_ contexts: (server: NIOSSLContext, client: NIOSSLContext)) {
        tls.server = contexts.server
        tls.client = contexts.client
        tls.generation += 1
    }

    /// Serves `contexts` (from `makeTLSContexts`, built off the loop) to new connections from
    /// now on (SIGHUP). Established connections keep theirs. Returns the new generation.
    @discardableResult
    public func installTLS(contexts: (server: NIOSSLContext, client: NIOSSLContext)) -> EventLoopFuture<Int> {
        eventLoop.submit {
            self.installTLS(contexts)
            return self.tls.generation
        }
    }

    /// The TLS material generation in force (1 after start, +1 per reload), for tests and logs.
    public func tlsGeneration() async throws -> Int {
        try await eventLoop.submit { self.tls.generation }.get()
    }

    /// A `tls:` listener: TCP accepted on this loop, the TLS handshake, then SIP framed as on TCP.
    func bindTLS(_ address: SocketAddress) -> EventLoopFuture<any Channel> {
        bindStream(address) { channel in
            try self.addTLSServerHandler(to: channel)
            try self.addStreamHandlers(to: channel, transport: .tls, outbound: false)
        }
    }

    /// The current server context's handler, first in `channel`'s pipeline (event loop).
    func addTLSServerHandler(to channel: any Channel) throws {
        guard let context = tls.server else { throw SIPTLSError.notConfigured }
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        try channel.pipeline.syncOperations.addHandler(TLSFailureCounter(transport: self))
    }

    /// The client handler for an outbound TLS connection to `peer` (event loop). RFC 5922
    /// §7: the server's certificate is checked against the host of the request's URI when it
    /// is a name, else against the address we connect to (an IP SAN).
    func addTLSClientHandler(to channel: any Channel, serverName: String?) throws {
        guard let context = tls.client else { throw SIPTLSError.notConfigured }
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
        try channel.pipeline.syncOperations.addHandler(TLSFailureCounter(transport: self))
    }

    /// The host name to verify a TLS server by, from the request we connect for: a name, not
    /// an IP literal (SNI carries names only, RFC 6066 §3).
    static func tlsServerName(for message: SIPMessage?) -> String? {
        guard case .request(let request)? = message else { return nil }
        let host = request.uri.host
        // An IP literal is no server name (RFC 6066 §3): IPv6 is told by its colons, IPv4 by
        // parsing it as an address.
        if host.isEmpty || host.contains(":") { return nil }
        if (try? SocketAddress(ipAddress: host, port: 0)) != nil { return nil }
        return host
    }

    func tlsHandshakeFailed(_ error: any Error, channel: any Channel) {
        statistics.tlsHandshakeFailures += 1
        if let suppressed = sendLog.admit("tls failure") {
            logger.notice("TLS connection refused or failed", metadata: [
                "sip.peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)",
                "suppressed": "\(suppressed)"])
        }
    }
}

/// Counts TLS errors (a refused client certificate, a server that fails verification, a
/// client that does not speak TLS) before the stream handler closes the connection.
final class TLSFailureCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let transport: SIPTransport
    init(transport: SIPTransport) { self.transport = transport }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            transport.tlsHandshakeFailed(error, channel: context.channel)
        }
        context.fireErrorCaught(error)
    }
}
