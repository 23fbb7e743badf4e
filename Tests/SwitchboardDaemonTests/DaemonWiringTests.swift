import NIOCore
import SIPEdge
import SwitchboardConfig
@testable import SwitchboardDaemon
import Testing

/// The pure parts of the node's wiring: configuration sections turned into the layers' own
/// configurations, and header-list splitting for the registrar's Path.
@Suite struct DaemonWiringTests {
    @Test func theSecuritySectionBecomesTheEdgesConfiguration() {
        var security = SwitchboardConfiguration.Security()
        security.untrusted = "drop"
        security.floodRequests = 8
        security.floodWindowSeconds = 1.5
        security.floodNewCalls = 2
        security.banSeconds = 60
        security.trustedFloodRequests = 500
        security.trustedFloodWindowSeconds = 0.5
        security.maxSources = 100
        let edge = SIPService.edgeConfiguration(security)
        #expect(edge.untrusted == .drop)
        #expect(edge.flood.requests == 8 && edge.flood.window == .milliseconds(1500))
        #expect(edge.floodNewCalls == 2)
        #expect(edge.ban == .seconds(60))
        #expect(edge.trustedFlood.requests == 500 && edge.trustedFlood.window == .milliseconds(500))
        #expect(edge.maxSources == 100)
        // The defaults agree with the edge's own.
        #expect(SIPService.edgeConfiguration(SwitchboardConfiguration.Security()) == EdgeConfiguration())
    }

    @Test func pathListsSplitOutsideAngleBracketsAndQuotes() {
        #expect(AgentRegistry.splitList("<sip:a@p1;lr>, <sip:b@p2;lr>") == ["<sip:a@p1;lr>", "<sip:b@p2;lr>"])
        #expect(AgentRegistry.splitList(#""Proxy, One" <sip:a@p1;lr>,<sip:b@p2>"#) == [#""Proxy, One" <sip:a@p1;lr>"#, "<sip:b@p2>"])
        #expect(AgentRegistry.splitList("<sip:x@y;maddr=a,b>") == ["<sip:x@y;maddr=a,b>"])
        #expect(AgentRegistry.splitList(" ") == [])
    }

    @Test func durationsBecomeTimeAmounts() {
        #expect(SIPService.timeAmount(.milliseconds(1500)) == .milliseconds(1500))
        #expect(SIPService.timeAmount(.seconds(0)) == .nanoseconds(0))
    }
}
