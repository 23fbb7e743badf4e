import SIPMessage
import SIPTestKit
import Testing
@testable import SIPEdge

/// The one exception to "strangers cost nothing" (issue 15): REGISTERs the daemon's registrar
/// accepts reach it from any address, and still count toward the flood limit and ban.
@Suite struct EdgeRegisterExceptionTests {
    let clock = ManualEdgeClock()

    func policy(admits: ((SIPRequest) -> Bool)?) -> EdgePolicy {
        var configuration = EdgeConfiguration()
        configuration.flood = .init(requests: 4, window: .seconds(10))
        let edge = EdgePolicy(configuration: configuration, isTrusted: { _ in false }, clock: clock)
        edge.admitsRegister = admits
        return edge
    }

    let stranger = SIPPeer(transport: .udp, host: "203.0.113.5", port: 5060)

    @Test func withoutARegistrarRegisterIsRefusedLikeEverythingElse() {
        let edge = policy(admits: nil)
        #expect(edge.admit(SIPTestKit.request(.register, uri: "sip:sip.example"), from: stranger) == .reject)
    }

    @Test func registerPassesOtherMethodsDoNot() {
        let edge = policy(admits: { $0.uri.host == "sip.example" })
        #expect(edge.admit(SIPTestKit.request(.register, uri: "sip:sip.example"), from: stranger) == .pass)
        #expect(edge.admit(SIPTestKit.request(.register, uri: "sip:other.example"), from: stranger) == .reject)
        #expect(edge.admit(SIPTestKit.request(.invite, uri: "sip:sip.example"), from: stranger) == .reject)
        #expect(edge.admit(SIPTestKit.request(.options, uri: "sip:sip.example"), from: stranger) == .reject)
        #expect(edge.counters.registers == 1)
    }

    @Test func aRegisterFloodIsStillBanned() {
        let edge = policy(admits: { _ in true })
        for i in 0..<4 {
            #expect(edge.admit(SIPTestKit.request(.register, uri: "sip:sip.example", cSeq: UInt32(i + 1)), from: stranger) == .pass)
        }
        #expect(edge.admit(SIPTestKit.request(.register, uri: "sip:sip.example", cSeq: 5), from: stranger) == .drop)
        #expect(edge.counters.bans == 1)
        #expect(!edge.acceptsPacket(from: stranger))
    }
}
