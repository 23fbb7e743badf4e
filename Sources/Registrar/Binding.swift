import Foundation
import SIPMessage

/// One registered contact of an agent (RFC 3261 §10.3), with what is needed to reach it
/// through NAT: the address, port and transport the REGISTER came from (RFC 3581
/// received/rport; RFC 5626 flows), and the Path the REGISTER carried (RFC 3327).
public struct Binding: Sendable, Equatable {
    public var agent: String
    public var account: String
    /// The Contact URI as registered: the Request-URI of INVITEs to this binding.
    public var contact: String
    /// Where requests to this contact are sent: the REGISTER's source.
    public var flow: SIPPeer
    /// Path header values in order (the first is the next hop toward the phone).
    public var path: [String]
    public var callID: String
    public var cseq: UInt32
    public var expires: Date
    /// RFC 5626: `+sip.instance` and `reg-id` of the Contact, and `;ob` in its URI.
    public var instance: String?
    public var regID: Int?
    public var outbound: Bool
    public var userAgent: String?

    public init(agent: String, account: String, contact: String, flow: SIPPeer, path: [String] = [], callID: String,
                cseq: UInt32, expires: Date, instance: String? = nil, regID: Int? = nil, outbound: Bool = false,
                userAgent: String? = nil) {
        self.agent = agent
        self.account = account
        self.contact = contact
        self.flow = flow
        self.path = path
        self.callID = callID
        self.cseq = cseq
        self.expires = expires
        self.instance = instance
        self.regID = regID
        self.outbound = outbound
        self.userAgent = userAgent
    }

    /// What makes two contacts "the same binding": the instance and reg-id for RFC 5626
    /// phones (a new flow replaces the old), else the Contact URI (RFC 3261 §10.3 step 7).
    public var key: String {
        if let instance, let regID { return "instance:\(instance);reg-id=\(regID)" }
        return "uri:\(contact)"
    }
}
