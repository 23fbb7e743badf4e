/// An SDP session description (RFC 4566) as a plain value: what the call engine builds,
/// inspects and hands to `SDPCodec` to turn into text. Only the fields a voice B2BUA uses are
/// modelled; `t=` is always `0 0` (RFC 3264 §5: unbounded session).
public struct SessionDescription: Hashable, Sendable {
    /// `o=` (RFC 4566 §5.2). `sessionVersion` must grow with every changed offer (RFC 3264 §8).
    public struct Origin: Hashable, Sendable {
        public var username: String
        public var sessionID: String
        public var sessionVersion: String
        public var address: ConnectionAddress

        public init(username: String = "-", sessionID: String, sessionVersion: String, address: ConnectionAddress) {
            self.username = username
            self.sessionID = sessionID
            self.sessionVersion = sessionVersion
            self.address = address
        }
    }

    /// `c=IN IP4 …` / `c=IN IP6 …` (RFC 4566 §5.7). Only unicast `IN` addresses are used.
    public struct ConnectionAddress: Hashable, Sendable {
        public enum AddressType: String, Hashable, Sendable { case ip4 = "IP4", ip6 = "IP6" }
        public var addressType: AddressType
        public var address: String

        public init(addressType: AddressType, address: String) {
            self.addressType = addressType
            self.address = address
        }

        /// Picks IP4/IP6 from the literal.
        public init(_ address: String) {
            self.init(addressType: address.contains(":") ? .ip6 : .ip4, address: address)
        }

        /// RFC 3264 §8.4: the RFC 2543 way of putting a stream on hold.
        public var isUnspecified: Bool { address == "0.0.0.0" || address == "::" }
    }

    /// `a=name` or `a=name:value` (RFC 4566 §5.13).
    public struct Attribute: Hashable, Sendable {
        public var name: String
        public var value: String?
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    public var origin: Origin
    public var sessionName: String
    public var connection: ConnectionAddress?
    public var attributes: [Attribute]
    public var media: [MediaDescription]

    public init(origin: Origin, sessionName: String = "-", connection: ConnectionAddress?, attributes: [Attribute] = [], media: [MediaDescription]) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.attributes = attributes
        self.media = media
    }

    /// Session-level direction attribute, if any (RFC 3264 §5.1: applies to every stream
    /// without its own).
    public var direction: MediaDirection? {
        attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first
    }
}
