import Logging
import SIPMessage

/// Drives the RFC 3261 §17 transaction state machines: matches incoming messages to
/// transactions (§17.1.3, §17.2.3), runs their timers on the injected clock, sends through
/// the injected transport and reports to the transaction user. It also answers CANCEL
/// (§9.2) and merged requests (§8.2.2.2) itself.
///
/// **Not thread-safe, by design.** A layer lives on one event loop: `receive(_:from:)`,
/// every TU call and every clock callback must run on that loop, one at a time. There are
/// no locks; shard several layers across loops (e.g. by Call-ID) to scale.
public final class TransactionLayer {
    public struct Configuration: Sendable {
        /// T1, T2, T4 and Timer D; every other timer derives from them.
        public var timers: TransactionTimers
        /// Send 100 Trying for an INVITE when the TU has sent nothing within 200 ms
        /// (RFC 3261 §17.2.1). Default true.
        public var sendsTryingAutomatically: Bool

        public init(timers: TransactionTimers = .rfc3261, sendsTryingAutomatically: Bool = true) {
            self.timers = timers
            self.sendsTryingAutomatically = sendsTryingAutomatically
        }
    }

    public let configuration: Configuration
    /// Weak: the TU usually owns the layer.
    public weak var user: (any TransactionUser)?
    let transport: any TransactionTransport
    let clock: any TransactionClock
    var logger: Logger

    // MARK: tables

    struct ScheduledTimer {
        var token: UInt64
        var handle: any TransactionTimerHandle
    }

    enum ClientMachine {
        case invite(ClientInviteTransaction)
        case nonInvite(ClientNonInviteTransaction)
    }

    /// A class, not a struct, so `clients` stores a pointer per bucket: the record with its
    /// state machine and request is over a kilobyte, and a dictionary of structs pays that
    /// for every empty bucket too (a quarter to a half of them) — about 20 MiB at 10,000
    /// calls set up (bench/calls memory figures).
    final class ClientRecord {
        var machine: ClientMachine
        let key: ClientTransactionKey
        let peer: SIPPeer
        var timers: [TransactionTimer: ScheduledTimer] = [:]
        /// `cancel(clientTransaction:)` was called: the CANCEL's id, its Reason, and
        /// whether it has been sent (it waits for a provisional, §9.1).
        var cancel: (id: ClientTransactionID, reason: String?, sent: Bool)?

        init(machine: ClientMachine, key: ClientTransactionKey, peer: SIPPeer) {
            self.machine = machine
            self.key = key
            self.peer = peer
        }
    }

    enum ServerMachine {
        case invite(ServerInviteTransaction)
        case nonInvite(ServerNonInviteTransaction)
    }

    /// A class for the same reason as `ClientRecord`.
    final class ServerRecord {
        var machine: ServerMachine
        /// nil for RFC 2543 requests (matched by `LegacyMatch`).
        let key: ServerTransactionKey?
        let mergeKey: MergeKey?
        /// Where responses go (RFC 3261 §18.2.2, RFC 3581).
        let responsePeer: SIPPeer
        /// Created by the layer for CANCEL or a 482: the TU never hears of it.
        let isInternal: Bool
        var timers: [TransactionTimer: ScheduledTimer] = [:]

        init(machine: ServerMachine, key: ServerTransactionKey?, mergeKey: MergeKey?, responsePeer: SIPPeer, isInternal: Bool) {
            self.machine = machine
            self.key = key
            self.mergeKey = mergeKey
            self.responsePeer = responsePeer
            self.isInternal = isInternal
        }

        /// The request that created it (the state machine holds it; not stored twice).
        var request: SIPRequest {
            switch machine {
            case .invite(let m): return m.request
            case .nonInvite(let m): return m.request
            }
        }
    }

    var clients: [ClientTransactionID: ClientRecord] = [:]
    var clientIndex: [ClientTransactionKey: ClientTransactionID] = [:]
    var servers: [ServerTransactionID: ServerRecord] = [:]
    var serverIndex: [ServerTransactionKey: ServerTransactionID] = [:]
    /// RFC 2543 transactions (no magic cookie), by `LegacyServerKey`.
    var legacyIndex: [LegacyServerKey: [ServerTransactionID]] = [:]
    var mergeIndex: [MergeKey: ServerTransactionID] = [:]
    var nextID: UInt64 = 1
    var nextTimerToken: UInt64 = 1
    var rng = SystemRandomNumberGenerator()

    public init(transport: any TransactionTransport, clock: any TransactionClock,
                configuration: Configuration = Configuration(), logger: Logger = Logger(label: "switchboard.sip.transaction")) {
        self.transport = transport
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// Live client transactions (including CANCELs the layer sent).
    public var activeClientTransactionCount: Int { clients.count }
    /// Live server transactions (including the layer's own CANCEL and 482 transactions).
    public var activeServerTransactionCount: Int { servers.count }
    /// Responses that matched no client transaction and were dropped (§17.1.3); never state.
    public internal(set) var strayResponses = 0
    /// Both kinds together.
    public var activeTransactionCount: Int { clients.count + servers.count }

    // MARK: incoming

    /// A message from the transport. Requests are matched to server transactions (or create
    /// one), responses to client transactions; see the type's documentation.
    public func receive(_ message: SIPMessage, from peer: SIPPeer) {
        switch message {
        case .request(let request): receiveRequest(request, from: peer)
        case .response(let response): receiveResponse(response, from: peer)
        }
    }

    // MARK: helpers shared by the client and server halves

    func allocateID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    func makeToTag() -> String {
        TransactionBranch.randomToken(length: 12, using: &rng)
    }

    /// Schedule `timer`, replacing one of the same kind. Firings of a replaced or cancelled
    /// timer are ignored by token, whatever the clock does.
    func schedule(_ timer: TransactionTimer, after delay: Duration,
                  fire: @escaping (TransactionLayer, UInt64) -> Void) -> ScheduledTimer {
        let token = nextTimerToken
        nextTimerToken += 1
        let handle = clock.schedule(after: delay) { [weak self] in
            guard let self else { return }
            fire(self, token)
        }
        return ScheduledTimer(token: token, handle: handle)
    }
}

extension TransactionLayer {
    /// The transport reports, after the fact, that it could not deliver to `peer` (a stream
    /// connection closed or refused; an asynchronous write failure). Every live transaction
    /// that sends to `peer` gets a transport error (RFC 3261 §17.1.4, §17.2.4), in creation order.
    public func transportFailed(to peer: SIPPeer) {
        for id in clients.keys.sorted(by: { $0.rawValue < $1.rawValue }) where clients[id]?.peer == peer {
            guard clients[id] != nil else { continue }
            let actions = clients[id]!.machine.transportFailed()
            runClient(id, actions)
        }
        for id in servers.keys.sorted(by: { $0.rawValue < $1.rawValue }) where servers[id]?.responsePeer == peer {
            guard servers[id] != nil else { continue }
            let actions = servers[id]!.machine.transportFailed()
            runServer(id, actions)
        }
    }
}
