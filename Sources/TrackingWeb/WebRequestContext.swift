import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the client's address, which the
/// rate limit is keyed on.
public struct WebRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address as text ("127.0.0.1", "::1"); nil for a Unix socket.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The largest request body any endpoint accepts (a session request is < 3 KB).
    public var maxUploadSize: Int { APIError.maximumBodySize }
}
