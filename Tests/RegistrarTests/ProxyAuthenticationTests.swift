import Foundation
import Logging
import SIPMessage
import Testing
@testable import Registrar

/// An agent's INVITE proved by `Proxy-Authorization` (issue 15 item 4) with the registrar's
/// own nonces and failure limiter: the stateless 407, the digest over method INVITE, stale
/// nonces, replays, and the same 403 for a wrong password and an unknown user.
@Suite struct ProxyAuthenticationTests {
    final class Clock: @unchecked Sendable { var monotonic: Duration = .seconds(100) }

    let clock = Clock()
    let registrar: Registrar
    let source = SIPPeer(transport: .udp, host: "198.51.100.7", port: 5062)

    init() {
        SIPMessageParser.bootstrap(logger: Logger(label: "test"))
        let agent = AgentCredentials(account: "acme", name: "alice", number: "+14155550100", realm: "switchboard",
                                     ha1SHA256: DigestAlgorithm.sha256.ha1(username: "alice", realm: "switchboard", password: "pw-1"),
                                     ha1MD5: nil)
        var configuration = RegistrarConfiguration()
        configuration.failures.maxPerSource = 3
        let clock = self.clock
        registrar = Registrar(configuration: configuration, directory: AgentDirectory([agent]), bindings: BindingTable(),
                              monotonic: { clock.monotonic })
    }

    func invite(user: String = "alice", password: String = "pw-1", challenge: String? = nil, nc: UInt32 = 1,
                method: String = "INVITE", callID: String = "out-1@198.51.100.7") -> SIPRequest {
        var lines = [
            "INVITE sip:+16502530000@switchboard.example SIP/2.0",
            "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK-\(UUID().uuidString.prefix(8));rport",
            "Max-Forwards: 70",
            "From: <sip:\(user)@switchboard.example>;tag=f1",
            "To: <sip:+16502530000@switchboard.example>",
            "Call-ID: \(callID)",
            "CSeq: 2 INVITE",
            "Contact: <sip:\(user)@198.51.100.7:5062>",
        ]
        if let challenge, let r = challenge.range(of: #"nonce=""#) {
            let nonce = String(challenge[r.upperBound...].prefix(while: { $0 != "\"" }))
            let ha1 = DigestAlgorithm.sha256.ha1(username: user, realm: "switchboard", password: password)
            let ncText = String(format: "%08x", nc)
            let uri = "sip:+16502530000@switchboard.example"
            let response = DigestAlgorithm.sha256.response(ha1: ha1, nonce: nonce, nc: ncText, cnonce: "c0ffee", qop: "auth",
                                                           method: method, uri: uri)
            lines.append(#"Proxy-Authorization: Digest username="\#(user)", realm="switchboard", nonce="\#(nonce)", uri="\#(uri)", response="\#(response)", algorithm=SHA-256, qop=auth, nc=\#(ncText), cnonce="c0ffee""#)
        }
        lines += ["Content-Length: 0", "", ""]
        guard case .success(.request(let request)) = SIPMessageParser.parse(Array(lines.joined(separator: "\r\n").utf8)) else {
            fatalError("test INVITE does not parse")
        }
        return request
    }

    func challenge() throws -> String {
        let r = try #require(registrar.statelessAnswer(toInvite: invite(), from: source))
        #expect(r.statusCode == 407)
        return try #require(r.headers.values("Proxy-Authenticate").first)
    }

    @Test func anInviteWithoutCredentialsGetsA407WithProxyAuthenticate() throws {
        let c = try challenge()
        #expect(c.hasPrefix(#"Digest realm="switchboard", nonce=""#))
        #expect(c.contains(#"algorithm=SHA-256, qop="auth""#))
        #expect(registrar.statistics.challenges == 1)
    }

    @Test func theRightDigestOverInviteAuthenticatesTheAgent() throws {
        let c = try challenge()
        let request = invite(challenge: c)
        #expect(registrar.statelessAnswer(toInvite: request, from: source) == nil, "credentials worth a transaction")
        guard case .authenticated(let agent) = registrar.authenticateInvite(request, from: source) else {
            Issue.record("not authenticated")
            return
        }
        #expect(agent.name == "alice" && agent.account == "acme" && agent.number == "+14155550100")
        // The same nonce count again is a replay: challenged afresh, never accepted twice.
        guard case .refused(let again) = registrar.authenticateInvite(request, from: source) else {
            Issue.record("replay accepted")
            return
        }
        #expect(again.statusCode == 407)
    }

    @Test func aDigestComputedForRegisterDoesNotPlaceACall() throws {
        let c = try challenge()
        guard case .refused(let r) = registrar.authenticateInvite(invite(challenge: c, method: "REGISTER"), from: source) else {
            Issue.record("accepted")
            return
        }
        #expect(r.statusCode == 403)
    }

    @Test func aNonceGivenToAnotherAddressIsChallengedStatelessly() throws {
        let c = try challenge()
        let elsewhere = SIPPeer(transport: .udp, host: "203.0.113.9", port: 5062)
        let r = try #require(registrar.statelessAnswer(toInvite: invite(challenge: c), from: elsewhere))
        #expect(r.statusCode == 407)
    }

    @Test func anExpiredNonceWithTheRightPasswordGetsStale() throws {
        let c = try challenge()
        clock.monotonic += .seconds(301)
        guard case .refused(let r) = registrar.authenticateInvite(invite(challenge: c), from: source) else {
            Issue.record("accepted")
            return
        }
        #expect(r.statusCode == 407)
        #expect(r.headers.values("Proxy-Authenticate").first?.contains("stale=true") == true)
    }

    @Test func wrongPasswordAndUnknownUserGetTheSame403AndFailuresBlockTheSource() throws {
        var statuses: [Int] = []
        var reasons: [String] = []
        for user in ["alice", "mallory", "alice"] {
            let c = try challenge()
            guard case .refused(let r) = registrar.authenticateInvite(invite(user: user, password: "wrong", challenge: c), from: source) else {
                Issue.record("accepted")
                return
            }
            statuses.append(r.statusCode)
            reasons.append(r.reasonPhrase)
        }
        #expect(statuses == [403, 403, 403])
        #expect(Set(reasons).count == 1)
        #expect(registrar.statistics.blocks == 1)
        // Blocked: the right password gets the same 403, even before a transaction.
        let blocked = try #require(registrar.statelessAnswer(toInvite: invite(), from: source))
        #expect(blocked.statusCode == 403)
    }

    @Test func aTrustedCarriersInviteIsAnAgentsOnlyWhenItNamesOne() {
        #expect(registrar.claimsInvite(invite(user: "alice")))
        #expect(!registrar.claimsInvite(invite(user: "+13125550100")))
    }
}
