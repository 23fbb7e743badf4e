import SIPMessage
import SIPTestKit
import Testing
@testable import SIPEdge

/// A clock moved by hand.
final class ManualEdgeClock: EdgeClock {
    var now: Duration = .zero
}

@Suite struct EdgePolicyTests {
    let clock = ManualEdgeClock()
    static let trustedHost = "192.0.2.1"

    func policy(_ configure: (inout EdgeConfiguration) -> Void = { _ in },
                inDialog: @escaping EdgePolicy.DialogMembership = { _, _ in false }) -> EdgePolicy {
        var configuration = EdgeConfiguration()
        configure(&configuration)
        return EdgePolicy(configuration: configuration, isTrusted: { $0 == Self.trustedHost },
                          isInDialog: inDialog, clock: clock)
    }

    func peer(_ host: String, port: Int = 5060) -> SIPPeer { SIPPeer(transport: .udp, host: host, port: port) }

    @Test func strangersAreRefusedWhatEverTheMethod() {
        let edge = policy()
        for method in [SIPMethod.invite, .options, .register, .bye, .subscribe, SIPMethod("FOO")] {
            #expect(edge.admit(SIPTestKit.request(method, cSeq: 1), from: peer("203.0.113.5")) == .reject)
            clock.now += .seconds(1)
        }
        #expect(edge.counters.refused == 6)
        #expect(edge.counters.bans == 0)
    }

    @Test func untrustedDropModeSaysNothing() {
        let edge = policy { $0.untrusted = .drop }
        #expect(edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.5")) == .drop)
        #expect(edge.counters.dropped == 1)
        #expect(edge.counters.refused == 0)
    }

    @Test func strangersAcksAndCancelsAreDropped() {
        let edge = policy()
        #expect(edge.admit(SIPTestKit.request(.ack, toTag: "x"), from: peer("203.0.113.5")) == .drop)
        #expect(edge.admit(SIPTestKit.request(.cancel), from: peer("203.0.113.5")) == .drop)
        #expect(edge.counters.dropped == 2)
    }

    @Test func trustedSourcesPass() {
        let edge = policy()
        #expect(edge.admit(SIPTestKit.invite(), from: peer(Self.trustedHost)) == .pass)
        #expect(edge.admit(SIPTestKit.request(.cancel), from: peer(Self.trustedHost)) == .pass)
    }

    @Test func inDialogRequestsFromADialogsAddressPass() {
        let edge = policy(inDialog: { request, host in request.to.tag == "ours" && host == "198.51.100.7" })
        #expect(edge.admit(SIPTestKit.request(.bye, toTag: "ours"), from: peer("198.51.100.7")) == .pass)
        // The same tag from another address is a stranger's request.
        #expect(edge.admit(SIPTestKit.request(.bye, toTag: "ours"), from: peer("198.51.100.8")) == .reject)
        // So is another tag from the dialog's address.
        #expect(edge.admit(SIPTestKit.request(.bye, toTag: "theirs"), from: peer("198.51.100.7")) == .reject)
        #expect(edge.counters.inDialog == 1)
    }

    @Test func floodBansForTheConfiguredTimeThenForgives() {
        let edge = policy()  // 16 requests / 2 s → 300 s
        let source = peer("203.0.113.9")
        for _ in 0..<16 { #expect(edge.admit(SIPTestKit.request(.options), from: source) == .reject) }
        #expect(edge.admit(SIPTestKit.request(.options), from: source) == .drop)
        #expect(edge.counters.bans == 1)
        #expect(edge.bans().map(\.address) == ["203.0.113.9"])
        // Every port of the address is banned, and other addresses are not.
        #expect(edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.9", port: 40000)) == .drop)
        #expect(edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.10")) == .reject)
        clock.now += .seconds(299)
        #expect(edge.admit(SIPTestKit.request(.options), from: source) == .drop)
        #expect(edge.bans().first?.remaining == .seconds(1))
        #expect(edge.bans().first?.droppedRequests == 3)
        clock.now += .seconds(1)
        #expect(edge.bans().isEmpty)
        #expect(edge.admit(SIPTestKit.request(.options), from: source) == .reject)
        #expect(edge.counters.bans == 1)
    }

    @Test func aSteadyRateUnderTheLimitIsNeverBanned() {
        let edge = policy()
        let source = peer("203.0.113.9")
        // 7 requests a second is under 16 per 2 s: the bucket refills faster than it drains.
        for _ in 0..<700 {
            #expect(edge.admit(SIPTestKit.request(.options), from: source) == .reject)
            clock.now += .milliseconds(143)
        }
        #expect(edge.counters.bans == 0)
    }

    @Test func inviteScansAreBannedSooner() {
        let edge = policy()  // 4 new calls / 2 s
        let source = peer("203.0.113.9")
        for _ in 0..<4 { #expect(edge.admit(SIPTestKit.invite(), from: source) == .reject) }
        #expect(edge.admit(SIPTestKit.invite(), from: source) == .drop)
        #expect(edge.counters.bans == 1)
    }

    @Test func liftEndsABan() {
        let edge = policy()
        let source = peer("203.0.113.9")
        for _ in 0..<17 { _ = edge.admit(SIPTestKit.request(.options), from: source) }
        #expect(edge.bans().count == 1)
        #expect(edge.lift("203.0.113.9"))
        #expect(!edge.lift("203.0.113.9"))
        #expect(edge.bans().isEmpty)
        #expect(edge.admit(SIPTestKit.request(.options), from: source) == .reject)
    }

    @Test func trustedSourcesAreCappedButNeverBanned() {
        let edge = policy { $0.trustedFlood = .init(requests: 10, window: .seconds(1)) }
        let carrier = peer(Self.trustedHost)
        for _ in 0..<10 { #expect(edge.admit(SIPTestKit.invite(), from: carrier) == .pass) }
        #expect(edge.admit(SIPTestKit.invite(), from: carrier) == .drop)
        #expect(edge.counters.droppedTrustedCap == 1)
        #expect(edge.counters.bans == 0)
        #expect(edge.bans().isEmpty)
        clock.now += .milliseconds(100)  // one token back
        #expect(edge.admit(SIPTestKit.invite(), from: carrier) == .pass)
    }

    @Test func theSourceTableIsBoundedAndKeepsItsBans() {
        let edge = policy { $0.maxSources = 64 }
        // One banned address, then a spoofed flood from thousands of others.
        for _ in 0..<17 { _ = edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.9")) }
        for n in 0..<5_000 {
            _ = edge.admit(SIPTestKit.request(.options), from: peer("10.\(n / 65536).\(n / 256 % 256).\(n % 256)"))
        }
        #expect(edge.trackedSources <= 64)
        #expect(edge.bans().map(\.address) == ["203.0.113.9"])
        #expect(edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.9")) == .drop)
    }

    @Test func summaryReportsOnlyWhatChanged() {
        let edge = policy()
        #expect(edge.takeSummary() == nil)
        _ = edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.9"))
        _ = edge.admit(SIPTestKit.request(.options), from: peer("203.0.113.9"))
        #expect(edge.takeSummary()?.refused == 2)
        #expect(edge.takeSummary() == nil)
    }
}

@Suite struct StatelessResponseTests {
    @Test func forbiddenCopiesTheRequestAndKeepsItsTagAcrossRetransmissions() {
        let request = SIPTestKit.invite(branch: "z9hG4bK-scan-1", callID: "scan@203.0.113.5")
        let response = StatelessResponse.forbidden(to: request)
        #expect(response.statusCode == 403)
        #expect(response.reasonPhrase == "Forbidden")
        #expect(response.vias == request.vias)
        #expect(response.callID == request.callID)
        #expect(response.cSeq == request.cSeq)
        #expect(response.from == request.from)
        let tag = response.to.tag
        #expect(tag?.count == 16)
        #expect(StatelessResponse.forbidden(to: request).to.tag == tag)
        #expect(StatelessResponse.forbidden(to: SIPTestKit.invite(branch: "z9hG4bK-scan-2")).to.tag != tag)
        #expect(response.headers["Server"] == nil)
    }
}

@Suite struct EdgeMalformedTests {
    let clock = ManualEdgeClock()

    @Test func malformedPacketsCountTowardTheFloodLimit() {
        let edge = EdgePolicy(configuration: EdgeConfiguration(), isTrusted: { $0 == "192.0.2.1" }, clock: clock)
        let source = SIPPeer(transport: .udp, host: "203.0.113.9", port: 5060)
        for _ in 0..<16 { #expect(edge.admitMalformed(from: source) == .reject) }
        #expect(edge.admitMalformed(from: source) == .drop)
        #expect(edge.bans().map(\.address) == ["203.0.113.9"])
        // Banned: its well-formed requests are dropped too.
        #expect(edge.admit(SIPTestKit.request(.options), from: source) == .drop)
        // A trusted source's garbage is still answered.
        #expect(edge.admitMalformed(from: SIPPeer(transport: .udp, host: "192.0.2.1", port: 5060)) == .reject)
    }

    @Test func dropModeAnswersNoMalformedPacketFromStrangers() {
        var configuration = EdgeConfiguration()
        configuration.untrusted = .drop
        let edge = EdgePolicy(configuration: configuration, isTrusted: { _ in false }, clock: clock)
        #expect(edge.admitMalformed(from: SIPPeer(transport: .udp, host: "203.0.113.9", port: 5060)) == .drop)
    }
}

@Suite struct EdgePacketTests {
    @Test func onlyBannedSourcesArePassedOverBeforeParsing() {
        let clock = ManualEdgeClock()
        let edge = EdgePolicy(configuration: EdgeConfiguration(), isTrusted: { $0 == "192.0.2.1" }, clock: clock)
        let source = SIPPeer(transport: .udp, host: "203.0.113.9", port: 5060)
        #expect(edge.acceptsPacket(from: source))
        #expect(edge.trackedSources == 0)  // asking creates nothing
        for _ in 0..<17 { _ = edge.admit(SIPTestKit.request(.options), from: source) }
        #expect(!edge.acceptsPacket(from: source))
        #expect(edge.bans().first?.droppedRequests == 2)
        #expect(edge.acceptsPacket(from: SIPPeer(transport: .udp, host: "192.0.2.1", port: 5060)))
        clock.now += .seconds(300)
        #expect(edge.acceptsPacket(from: source))
    }
}
