import Foundation
import Logging
import SIPMessage
import Testing
@testable import Registrar

/// The registrar's RFC 3261 §10.3 behaviour and its defences, with parsed REGISTERs and a
/// fake clock (wall and monotonic time advance together).
@Suite struct RegistrarTests {
    final class Clock: @unchecked Sendable {
        var monotonic: Duration = .seconds(100)
        var wall = Date(timeIntervalSince1970: 1_800_000_000)
        func advance(_ seconds: Int) { monotonic += .seconds(seconds); wall += TimeInterval(seconds) }
    }

    struct Phone {
        var user = "alice"
        var password = "correct horse"
        var host = "198.51.100.7"
        var port = 5062
        var callID = "reg-1@198.51.100.7"
        var cseq: UInt32 = 1
        var source: SIPPeer { SIPPeer(transport: .udp, host: host, port: port) }

        mutating func register(contact: String? = nil, expires: Int? = nil, extra: [String] = [],
                               challenge: String? = nil, algorithm: DigestAlgorithm = .sha256, nc: UInt32 = 1,
                               password: String? = nil) -> SIPRequest {
            var lines = [
                "REGISTER sip:switchboard.example SIP/2.0",
                "Via: SIP/2.0/UDP \(host):\(port);branch=z9hG4bK-\(cseq)-\(UUID().uuidString.prefix(8));rport",
                "Max-Forwards: 70",
                "From: <sip:\(user)@switchboard.example>;tag=f1",
                "To: <sip:\(user)@switchboard.example>",
                "Call-ID: \(callID)",
                "CSeq: \(cseq) REGISTER",
            ]
            cseq += 1
            if let contact { lines.append("Contact: \(contact)") } else { lines.append("Contact: <sip:\(user)@\(host):\(port)>") }
            if let expires { lines.append("Expires: \(expires)") }
            lines += extra
            if let challenge, let nonce = Self.nonce(challenge) {
                let ha1 = algorithm.ha1(username: user, realm: "switchboard", password: password ?? self.password)
                let nc = String(format: "%08x", nc)
                let uri = "sip:switchboard.example"
                let response = algorithm.response(ha1: ha1, nonce: nonce, nc: nc, cnonce: "c0ffee", qop: "auth",
                                                  method: "REGISTER", uri: uri)
                lines.append(#"Authorization: Digest username="\#(user)", realm="switchboard", nonce="\#(nonce)", uri="\#(uri)", response="\#(response)", algorithm=\#(algorithm.rawValue), qop=auth, nc=\#(nc), cnonce="c0ffee""#)
            }
            lines += ["Content-Length: 0", "", ""]
            let text = lines.joined(separator: "\r\n")
            guard case .success(.request(let request)) = SIPMessageParser.parse(Array(text.utf8)) else {
                fatalError("test REGISTER does not parse:\n\(text)")
            }
            return request
        }

        static func nonce(_ challenge: String) -> String? {
            guard let r = challenge.range(of: #"nonce=""#) else { return nil }
            return String(challenge[r.upperBound...].prefix(while: { $0 != "\"" }))
        }
    }

    let clock = Clock()
    let directory: AgentDirectory
    let registrar: Registrar
    var changes: [(String, [Binding])] { recorder.changes }
    let recorder = Recorder()

    final class Recorder: @unchecked Sendable {
        var changes: [(String, [Binding])] = []
        var blocked: [String] = []
    }

    init() {
        SIPMessageParser.bootstrap(logger: Logger(label: "test"))
        let realm = "switchboard"
        let agent = AgentCredentials(account: "acme", name: "alice", number: "+14155550100", realm: realm,
                                     ha1SHA256: DigestAlgorithm.sha256.ha1(username: "alice", realm: realm, password: "correct horse"),
                                     ha1MD5: DigestAlgorithm.md5.ha1(username: "alice", realm: realm, password: "correct horse"))
        directory = AgentDirectory([agent])
        var configuration = RegistrarConfiguration()
        configuration.failures.maxPerSource = 3
        configuration.failures.maxPerUser = 5
        configuration.failures.block = .seconds(600)
        let clock = self.clock
        registrar = Registrar(configuration: configuration, directory: directory, bindings: BindingTable(),
                              monotonic: { clock.monotonic }, now: { clock.wall })
        let recorder = self.recorder
        registrar.onChange = { agent, _, list in recorder.changes.append((agent, list)) }
        registrar.onBlock = { recorder.blocked.append($0) }
    }

    /// REGISTER without credentials, then with: returns the final response.
    func authenticate(_ phone: inout Phone, contact: String? = nil, expires: Int? = nil, extra: [String] = [],
                      password: String? = nil, algorithm: DigestAlgorithm = .sha256) -> SIPResponse {
        let first = registrar.handle(phone.register(contact: contact, expires: expires, extra: extra), from: phone.source)
        #expect(first.statusCode == 401)
        let challenge = first.headers.values("WWW-Authenticate").first { $0.contains("algorithm=\(algorithm.rawValue)") } ?? ""
        return registrar.handle(phone.register(contact: contact, expires: expires, extra: extra, challenge: challenge,
                                               algorithm: algorithm, password: password), from: phone.source)
    }

    @Test func challengeOffersSHA256WithQopAuth() {
        var phone = Phone()
        let r = registrar.handle(phone.register(), from: phone.source)
        #expect(r.statusCode == 401)
        let challenges = r.headers.values("WWW-Authenticate")
        #expect(challenges.count == 1)
        #expect(challenges[0].hasPrefix(#"Digest realm="switchboard", nonce=""#))
        #expect(challenges[0].contains(#"algorithm=SHA-256, qop="auth""#))
    }

    @Test func registersAndListsBindingsWithExpiry() throws {
        var phone = Phone()
        let r = authenticate(&phone, expires: 600)
        #expect(r.statusCode == 200)
        #expect(r.contacts.map(\.uri.description) == ["sip:alice@198.51.100.7:5062"])
        #expect(r.contacts.first?.parameter("expires") == .some("600"))
        let b = try #require(registrar.bindings.bindings(of: "alice", at: clock.wall).first)
        #expect(b.flow == phone.source)
        #expect(b.account == "acme")
        #expect(changes.count == 1)
        #expect(registrar.statistics.authenticationsOK == 1)
        // Expired after 600 s, and removed (the store hears of it).
        clock.advance(601)
        #expect(registrar.bindings.bindings(of: "alice", at: clock.wall).isEmpty)
        registrar.removeExpired()
        #expect(changes.last?.1.isEmpty == true)
    }

    @Test func natFlowIsTheSourceNotTheContact() throws {
        var phone = Phone()
        phone.host = "203.0.113.50"
        phone.port = 40123
        let r = authenticate(&phone, contact: "<sip:alice@192.168.1.20:5060;ob>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"",
                             extra: ["Supported: outbound, path"])
        #expect(r.statusCode == 200)
        #expect(r.headers["Require"] == "outbound")
        let b = try #require(registrar.bindings.bindings(of: "alice", at: clock.wall).first)
        #expect(b.contact == "sip:alice@192.168.1.20:5060;ob")
        #expect(b.flow == SIPPeer(transport: .udp, host: "203.0.113.50", port: 40123))
        #expect(b.outbound)
        #expect(b.regID == 1)
    }

    @Test func severalContactsThenRemovalOfOneAndAll() {
        var phone = Phone()
        #expect(authenticate(&phone, contact: "<sip:alice@198.51.100.7:5062>").statusCode == 200)
        var desk = Phone()
        desk.host = "198.51.100.8"
        desk.callID = "reg-2@198.51.100.8"
        #expect(authenticate(&desk, contact: "<sip:alice@198.51.100.8:5060>").statusCode == 200)
        #expect(registrar.bindings.bindings(of: "alice", at: clock.wall).count == 2)
        // Expires: 0 on one contact removes only that one.
        let one = authenticate(&desk, contact: "<sip:alice@198.51.100.8:5060>", expires: 0)
        #expect(one.statusCode == 200)
        #expect(registrar.bindings.bindings(of: "alice", at: clock.wall).map(\.contact) == ["sip:alice@198.51.100.7:5062"])
        // Contact: * with Expires: 0 removes every binding.
        let all = authenticate(&phone, contact: "*", expires: 0)
        #expect(all.statusCode == 200)
        #expect(registrar.bindings.bindings(of: "alice", at: clock.wall).isEmpty)
        // Contact: * without Expires: 0 is refused.
        #expect(authenticate(&phone, contact: "*", expires: 60).statusCode == 400)
    }

    @Test func intervalTooBriefAndClampedMaximum() {
        var phone = Phone()
        let brief = authenticate(&phone, expires: 30)
        #expect(brief.statusCode == 423)
        #expect(brief.headers["Min-Expires"] == "60")
        let long = authenticate(&phone, expires: 86_400)
        #expect(long.statusCode == 200)
        #expect(long.contacts.first?.parameter("expires") == .some("3600"))
    }

    @Test func pathIsKeptAndEchoed() throws {
        var phone = Phone()
        let r = authenticate(&phone, extra: ["Path: <sip:edge.example;lr>", "Supported: path"])
        #expect(r.statusCode == 200)
        #expect(r.headers.values("Path") == ["<sip:edge.example;lr>"])
        #expect(try #require(registrar.bindings.bindings(of: "alice", at: clock.wall).first).path == ["<sip:edge.example;lr>"])
    }

    @Test func outOfOrderCSeqIsRefused() {
        var phone = Phone()
        #expect(authenticate(&phone).statusCode == 200)
        phone.cseq = 1  // same Call-ID, lower CSeq than the binding's
        #expect(authenticate(&phone).statusCode == 500)
    }

    @Test func staleNonceWithRightPasswordGetsStaleTrue() {
        var phone = Phone()
        let first = registrar.handle(phone.register(), from: phone.source)
        let challenge = first.headers.values("WWW-Authenticate")[0]
        clock.advance(301)
        let r = registrar.handle(phone.register(challenge: challenge), from: phone.source)
        #expect(r.statusCode == 401)
        #expect(r.headers.values("WWW-Authenticate").allSatisfy { $0.hasSuffix("stale=true") })
        #expect(registrar.statistics.authenticationsFailed == 0)
        // Wrong password with the stale nonce: a failure, not stale.
        let wrong = registrar.handle(phone.register(challenge: challenge, nc: 2, password: "guess"), from: phone.source)
        #expect(wrong.statusCode == 403)
    }

    @Test func replayedNonceCountIsChallengedAgain() {
        var phone = Phone()
        let first = registrar.handle(phone.register(), from: phone.source)
        let challenge = first.headers.values("WWW-Authenticate")[0]
        #expect(registrar.handle(phone.register(challenge: challenge, nc: 1), from: phone.source).statusCode == 200)
        let replay = registrar.handle(phone.register(challenge: challenge, nc: 1), from: phone.source)
        #expect(replay.statusCode == 401)
        #expect(registrar.handle(phone.register(challenge: challenge, nc: 2), from: phone.source).statusCode == 200)
    }

    @Test func nonceFromAnotherAddressProvesNothing() {
        var phone = Phone()
        let challenge = registrar.handle(phone.register(), from: phone.source).headers.values("WWW-Authenticate")[0]
        var thief = phone
        thief.host = "192.0.2.99"
        #expect(registrar.handle(thief.register(challenge: challenge), from: thief.source).statusCode == 401)
    }

    @Test func md5OnlyWhenConfigured() {
        var phone = Phone()
        // MD5 is not offered by default: an MD5 answer just gets the SHA-256 challenge again.
        let challenge = registrar.handle(phone.register(), from: phone.source).headers.values("WWW-Authenticate")[0]
        let md5 = registrar.handle(phone.register(challenge: challenge, algorithm: .md5), from: phone.source)
        #expect(md5.statusCode == 401)

        var configuration = RegistrarConfiguration()
        configuration.algorithms = [.sha256, .md5]
        let clock = self.clock
        let both = Registrar(configuration: configuration, directory: directory, bindings: BindingTable(),
                             monotonic: { clock.monotonic }, now: { clock.wall })
        let offered = both.handle(phone.register(), from: phone.source).headers.values("WWW-Authenticate")
        #expect(offered.count == 2)
        #expect(offered[0].contains("algorithm=SHA-256"))  // RFC 8760 §2.4: SHA-256 first
        #expect(offered[1].contains("algorithm=MD5"))
        #expect(both.handle(phone.register(challenge: offered[1], algorithm: .md5), from: phone.source).statusCode == 200)
    }

    /// Enumeration: a known and an unknown user see the same status, reason and headers.
    @Test func unknownAndKnownUsersLookTheSame() {
        var known = Phone()
        var unknown = Phone()
        unknown.user = "mallory"
        unknown.host = "198.51.100.77"
        let a = registrar.handle(known.register(), from: known.source)
        let b = registrar.handle(unknown.register(), from: unknown.source)
        #expect(a.statusCode == b.statusCode)
        #expect(a.headers.map(\.name) == b.headers.map(\.name))
        let ca = a.headers.values("WWW-Authenticate")[0], cb = b.headers.values("WWW-Authenticate")[0]
        #expect(ca.replacingOccurrences(of: Phone.nonce(ca)!, with: "N") == cb.replacingOccurrences(of: Phone.nonce(cb)!, with: "N"))
        let wa = registrar.handle(known.register(challenge: ca, password: "wrong pass"), from: known.source)
        let wb = registrar.handle(unknown.register(challenge: cb, password: "wrong pass"), from: unknown.source)
        #expect(wa.statusCode == 403)
        #expect(wb.statusCode == 403)
        #expect(wa.reasonPhrase == wb.reasonPhrase)
        #expect(wa.headers.map(\.name) == wb.headers.map(\.name))
    }

    @Test func sourceBlockedAfterFailuresEvenWithTheRightPassword() {
        var phone = Phone()
        for _ in 0..<3 { #expect(authenticate(&phone, password: "wrong pass").statusCode == 403) }
        #expect(recorder.blocked == [phone.host])
        #expect(registrar.statistics.blocks == 1)
        // Blocked: the right password gets the same 403, and no challenge is even issued.
        #expect(registrar.handle(phone.register(), from: phone.source).statusCode == 403)
        #expect(registrar.statistics.blockedRequests == 1)
        // Another address still registers (the user is not locked out).
        var other = Phone()
        other.host = "198.51.100.9"
        #expect(authenticate(&other).statusCode == 200)
        // After the block time the source may try again.
        clock.advance(601)
        #expect(authenticate(&phone).statusCode == 200)
    }

    @Test func distributedGuessingAtOneUserBlocksEachFailingSource() {
        for i in 0..<5 {  // 5 sources, one failure each: the user's limit
            var p = Phone()
            p.host = "203.0.113.\(i + 1)"
            #expect(authenticate(&p, password: "wrong pass").statusCode == 403)
        }
        #expect(recorder.blocked == ["203.0.113.5"])
        var late = Phone()
        late.host = "203.0.113.77"
        #expect(authenticate(&late, password: "wrong pass").statusCode == 403)
        #expect(recorder.blocked.last == "203.0.113.77")  // blocked on its first failure
    }

    @Test func domainCheck() {
        var configuration = RegistrarConfiguration()
        configuration.domain = "sip.acme.example"
        let clock = self.clock
        let r = Registrar(configuration: configuration, directory: directory, bindings: BindingTable(),
                          monotonic: { clock.monotonic }, now: { clock.wall })
        var phone = Phone()
        #expect(r.handle(phone.register(), from: phone.source).statusCode == 403)  // Request-URI switchboard.example
    }
}
