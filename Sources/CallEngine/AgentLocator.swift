import SIPMessage

/// Where a registered agent can be reached now: one per live binding.
public struct AgentContact: Sendable, Equatable {
    /// The registered Contact: the Request-URI of the INVITE.
    public var uri: SIPURI
    /// Where the INVITE is sent: the address, port and transport the REGISTER came from
    /// (NAT: the phone's own Contact address is often private).
    public var flow: SIPPeer
    /// The registered Path (RFC 3327), sent as the INVITE's Route set.
    public var route: [NameAddress]

    public init(uri: SIPURI, flow: SIPPeer, route: [NameAddress] = []) {
        self.uri = uri
        self.flow = flow
        self.route = route
    }
}

/// What the engine asks about registered agents (the daemon answers from the registrar's
/// in-memory bindings; the engine does not depend on the registrar). Called on the event
/// loop: answers come from memory, never from the database.
public protocol AgentLocator: AnyObject, Sendable {
    /// The live contacts of `agent` of `account`, empty when it is not registered.
    func contacts(ofAgent agent: String, account: String) -> [AgentContact]
    /// The agent whose tracking number (direct line) is `number` (E.164), if any.
    func agent(withNumber number: String) -> (account: String, agent: String)?
}
