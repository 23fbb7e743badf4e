import SIPMessage

/// An authenticated agent placing a call (issue 15 item 4), as the engine needs it: the
/// daemon's registrar proves who it is; the engine never sees a password or a digest.
public struct OutboundAgent: Sendable, Equatable {
    public var account: String
    /// The SIP username.
    public var name: String
    /// The agent's tracking number (E.164): the caller ID of its calls and its callback line.
    public var number: String?

    public init(account: String, name: String, number: String?) {
        self.account = account
        self.name = name
        self.number = number
    }
}

/// What the registrar says of an agent's INVITE.
public enum AgentInviteVerdict: Sendable {
    case authenticated(OutboundAgent)
    /// Sent as is: 407 (challenge, stale nonce) or 403 (wrong credentials, blocked source).
    case refused(SIPResponse)
}

/// How an agent's call ended up, for `/metrics` (fixed label values).
public enum AgentCallOutcome: String, Sendable, CaseIterable {
    /// Bridged to the destination.
    case answered
    /// Dialled; nobody answered (busy, no answer, the trunk refused, the agent hung up first).
    case unanswered
    /// Refused before dialling, by why.
    case refusedAuthentication = "refused-authentication"
    case refusedDestination = "refused-destination"
    case refusedCountry = "refused-country"
    case refusedPremium = "refused-premium"
    case refusedConcurrency = "refused-concurrency"
    case refusedSpend = "refused-spend"
    case refusedAccount = "refused-account"
    case refusedNoRoute = "refused-no-route"
    case refusedOverload = "refused-overload"
}
