/// The RFC 3264 §5.1 / RFC 4566 §6 direction attributes, from the point of view of the side
/// that writes them.
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// What the answerer writes for an offered direction (RFC 3264 §6.1): a sendonly offer is
    /// answered recvonly and vice versa; sendrecv (when we want to send and receive) and
    /// inactive stay as they are.
    public var answer: MediaDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}
