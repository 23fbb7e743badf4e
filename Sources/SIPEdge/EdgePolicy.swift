import SIPMessage

/// What the edge does with a request before any transaction exists for it.
public enum EdgeVerdict: Sendable, Equatable {
    /// Hand it to the transaction layer.
    case pass
    /// Answer one stateless 403 (`StatelessResponse.forbidden`) and forget it.
    case reject
    /// Nothing: no answer, no state.
    case drop
}

/// The daemon's first look at every request, before the transaction layer creates state
/// (design.md "Strangers cost nothing"). A stranger — an address outside `trusted-networks`
/// whose request is not part of one of our dialogs — gets one stateless 403 or silence, with
/// no transaction, timer or retransmission; its ACKs and CANCELs are dropped; an address over
/// its flood limit is banned (Kamailio's pike). Trusted carriers are never banned but have
/// their own, higher cap.
///
/// Lives on the SIP event loop like the transaction layer: not thread-safe, no locks. Per
/// request it costs a dictionary lookup and a few arithmetic operations; nothing is logged
/// per packet (the daemon logs `takeSummary()` periodically and each ban once).
public final class EdgePolicy {
    /// Whether a request from `host` belongs to a dialog we created (our To tag, its Call-ID,
    /// and an address the dialog talks to). Kept narrow so the engine is not a dependency.
    public typealias DialogMembership = (_ request: SIPRequest, _ host: String) -> Bool

    public struct Counters: Sendable, Equatable {
        /// Strangers answered with the stateless 403.
        public var refused = 0
        /// Strangers' requests dropped (`untrusted: drop`, and their ACKs and CANCELs).
        public var dropped = 0
        /// Requests dropped because their source is banned.
        public var droppedBanned = 0
        /// Trusted sources' requests dropped over `trusted-flood`.
        public var droppedTrustedCap = 0
        /// Bans issued.
        public var bans = 0
        /// Untrusted requests let through because they belong to one of our dialogs.
        public var inDialog = 0
        /// Untrusted REGISTERs let through to the registrar (`admitsRegister`).
        public var registers = 0
        /// Untrusted new INVITEs let through as agents' calls (`admitsAgentInvite`).
        public var agentInvites = 0
        public init() {}
    }

    /// One ban, for `GET /bans` and `switchboard bans`.
    public struct Ban: Sendable, Equatable {
        public var address: String
        public var remaining: Duration
        public var droppedRequests: Int
    }

    public let configuration: EdgeConfiguration
    let isTrusted: (String) -> Bool
    public var isInDialog: DialogMembership
    let clock: any EdgeClock
    var table: SourceTable
    public private(set) var counters = Counters()
    /// Counts at the last `takeSummary()`.
    private var summarised = Counters()
    /// The one deliberate exception to "strangers cost nothing" (issue 15): agents register
    /// from anywhere on the Internet, so a REGISTER this says yes to (the registrar is on
    /// and it is for our domain) reaches the registrar from any address. It still counts
    /// toward the source's flood limit and ban like every other request, and the registrar
    /// itself blocks sources that fail authentication. nil: no exception.
    public var admitsRegister: ((SIPRequest) -> Bool)?
    /// The same exception for agents' INVITEs (issue 15 item 4): the daemon answers them with
    /// a stateless 407 until they carry credentials our nonce proves were asked of this
    /// address, so a stranger still gets no transaction. nil: no exception.
    public var admitsAgentInvite: ((SIPRequest) -> Bool)?
    /// Called once per new ban (the daemon logs it: one line per ban, never per packet).
    public var onBan: ((_ address: String) -> Void)?

    public init(configuration: EdgeConfiguration, isTrusted: @escaping (String) -> Bool,
                isInDialog: @escaping DialogMembership = { _, _ in false }, clock: any EdgeClock) {
        self.configuration = configuration
        self.isTrusted = isTrusted
        self.isInDialog = isInDialog
        self.clock = clock
        self.table = SourceTable(capacity: configuration.maxSources)
    }

    /// Addresses tracked right now (bounded by `maxSources`).
    public var trackedSources: Int { table.count }

    // MARK: the verdict

    public func admit(_ request: SIPRequest, from peer: SIPPeer) -> EdgeVerdict {
        let now = clock.now
        let host = peer.host
        var (entry, stored) = lookUp(host, now: now)
        defer { if stored { table[host] = entry } }

        if entry.trusted { return takeTrusted(&entry, now: now) }

        // Part of one of our dialogs (a callee's BYE, re-INVITE, INFO): the dialog, not the
        // address, authorises it, and it does not count toward the flood limit.
        if request.to.tag != nil, isInDialog(request, host) {
            counters.inDialog += 1
            return .pass
        }
        guard takeUntrusted(&entry, host: host, newCall: request.method == .invite && request.to.tag == nil, now: now) else {
            return .drop
        }
        // RFC 3261 §17.2.3 would match an ACK or CANCEL to a transaction; a stranger has none.
        if request.method == .ack || request.method == .cancel {
            counters.dropped += 1
            return .drop
        }
        if request.method == .register, request.to.tag == nil, admitsRegister?(request) == true {
            counters.registers += 1
            return .pass
        }
        if request.method == .invite, request.to.tag == nil, admitsAgentInvite?(request) == true {
            counters.agentInvites += 1
            return .pass
        }
        return strangerVerdict()
    }

    /// A message the transport could not parse (it would answer 400 when it found a Via).
    /// It counts toward the source's flood limit like any request; the verdict says whether
    /// the stateless 400 may go out (`.reject`) or nothing (`.drop`: banned, capped, or
    /// `untrusted: drop`). Never `.pass`.
    public func admitMalformed(from peer: SIPPeer) -> EdgeVerdict {
        let now = clock.now
        var (entry, stored) = lookUp(peer.host, now: now)
        defer { if stored { table[peer.host] = entry } }
        if entry.trusted { return takeTrusted(&entry, now: now) == .pass ? .reject : .drop }
        guard takeUntrusted(&entry, host: peer.host, newCall: false, now: now) else { return .drop }
        return strangerVerdict()
    }

    /// Asked for every packet before it is parsed: false (and counted) when its source is
    /// banned, so a banned flood costs a table lookup, not a parse. Creates no state.
    public func acceptsPacket(from peer: SIPPeer) -> Bool {
        guard var entry = table[peer.host], !entry.trusted, entry.isBanned(at: clock.now) else { return true }
        entry.droppedWhileBanned += 1
        counters.droppedBanned += 1
        table[peer.host] = entry
        return false
    }

    // MARK: accounting

    /// The address's entry, created (trust decided once) when new; `stored` is false when
    /// the table had no room (the address is then judged without state).
    private func lookUp(_ host: String, now: Duration) -> (SourceTable.Entry, stored: Bool) {
        if let known = table[host] { return (known, true) }
        let trusted = isTrusted(host)
        let entry = SourceTable.Entry(
            trusted: trusted,
            requests: TokenBucket(capacity: trusted ? configuration.trustedFlood.requests : configuration.flood.requests, now: now),
            newCalls: TokenBucket(capacity: configuration.floodNewCalls, now: now))
        return (entry, table.insert(host, entry, now: now))
    }

    private func takeTrusted(_ entry: inout SourceTable.Entry, now: Duration) -> EdgeVerdict {
        let cap = configuration.trustedFlood
        guard entry.requests.take(capacity: cap.requests, window: cap.window, now: now) else {
            counters.droppedTrustedCap += 1
            return .drop
        }
        return .pass
    }

    /// Counts one request from an untrusted address; false (and counted) when it is banned
    /// or this request gets it banned.
    private func takeUntrusted(_ entry: inout SourceTable.Entry, host: String, newCall: Bool, now: Duration) -> Bool {
        if entry.isBanned(at: now) {
            entry.droppedWhileBanned += 1
            counters.droppedBanned += 1
            return false
        }
        if entry.bannedUntil != nil {
            // The ban ran out: a fresh start.
            entry.bannedUntil = nil
            entry.droppedWhileBanned = 0
            entry.requests = TokenBucket(capacity: configuration.flood.requests, now: now)
            entry.newCalls = TokenBucket(capacity: configuration.floodNewCalls, now: now)
        }
        let flood = configuration.flood
        var withinLimits = entry.requests.take(capacity: flood.requests, window: flood.window, now: now)
        if newCall {
            withinLimits = entry.newCalls.take(capacity: configuration.floodNewCalls, window: flood.window, now: now)
                && withinLimits
        }
        guard withinLimits else {
            entry.bannedUntil = now + configuration.ban
            entry.droppedWhileBanned = 1
            counters.bans += 1
            counters.droppedBanned += 1
            onBan?(host)
            return false
        }
        return true
    }

    private func strangerVerdict() -> EdgeVerdict {
        switch configuration.untrusted {
        case .reject:
            counters.refused += 1
            return .reject
        case .drop:
            counters.dropped += 1
            return .drop
        }
    }

    // MARK: bans (admin endpoint)

    /// Bans in force, longest remaining first.
    public func bans() -> [Ban] {
        let now = clock.now
        return table.entries.compactMap { address, entry in
            guard entry.isBanned(at: now), let until = entry.bannedUntil else { return nil }
            return Ban(address: address, remaining: until - now, droppedRequests: entry.droppedWhileBanned)
        }.sorted { ($0.remaining, $0.address) > ($1.remaining, $1.address) }
    }

    /// Lifts the ban on `address` (its buckets start afresh). False when it was not banned.
    @discardableResult
    public func lift(_ address: String) -> Bool {
        guard let entry = table[address], entry.isBanned(at: clock.now) else { return false }
        table.remove(address)
        return true
    }

    /// What happened since the last call, for a periodic log line (nil when nothing did).
    public func takeSummary() -> Counters? {
        let current = counters
        defer { summarised = current }
        guard current != summarised else { return nil }
        var delta = Counters()
        delta.refused = current.refused - summarised.refused
        delta.dropped = current.dropped - summarised.dropped
        delta.droppedBanned = current.droppedBanned - summarised.droppedBanned
        delta.droppedTrustedCap = current.droppedTrustedCap - summarised.droppedTrustedCap
        delta.bans = current.bans - summarised.bans
        delta.inDialog = current.inDialog - summarised.inDialog
        delta.registers = current.registers - summarised.registers
        delta.agentInvites = current.agentInvites - summarised.agentInvites
        return delta
    }
}
