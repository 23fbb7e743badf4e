import SIPMessage
import SIPTransaction

/// A `TransactionTransport` that records what it is asked to send.
public final class RecordingTransport: TransactionTransport {
    public struct Sent: Equatable, Sendable {
        public var message: SIPMessage
        public var peer: SIPPeer
        /// `clock.now` when sent, if the transport was given a clock.
        public var at: Duration?
    }

    public struct Failure: Error, Equatable {}

    /// Everything sent, oldest first.
    public private(set) var sent: [Sent] = []
    /// While true, `send` throws (simulating an unreachable peer) and records nothing.
    public var failing = false
    /// When set, each record carries the clock's time.
    public var clock: FakeClock?

    public init(clock: FakeClock? = nil) { self.clock = clock }

    public func send(_ message: SIPMessage, to peer: SIPPeer) throws {
        if failing { throw Failure() }
        sent.append(Sent(message: message, peer: peer, at: clock?.now))
    }

    public var requests: [SIPRequest] {
        sent.compactMap { if case .request(let r) = $0.message { return r } else { return nil } }
    }

    public var responses: [SIPResponse] {
        sent.compactMap { if case .response(let r) = $0.message { return r } else { return nil } }
    }

    /// The methods of the requests sent, in order.
    public var requestMethods: [SIPMethod] { requests.map(\.method) }
    /// The status codes of the responses sent, in order.
    public var statusCodes: [Int] { responses.map(\.statusCode) }

    /// Times at which requests of `method` were sent.
    public func times(of method: SIPMethod) -> [Duration] {
        sent.compactMap { if case .request(let r) = $0.message, r.method == method { return $0.at } else { return nil } }
    }

    /// Times at which responses with `statusCode` were sent.
    public func times(ofStatus statusCode: Int) -> [Duration] {
        sent.compactMap { if case .response(let r) = $0.message, r.statusCode == statusCode { return $0.at } else { return nil } }
    }

    public func clear() { sent.removeAll() }
}
