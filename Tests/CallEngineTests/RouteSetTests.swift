import SIPMessage
import Testing
@testable import CallEngine

/// RFC 3261 §12.2.1.1 from a route set and a remote target, and §12.2.2's dialog match key.
@Suite struct RouteSetTests {
    func na(_ uri: String) -> NameAddress { NameAddress(uri: SIPURI(parsing: Substring(uri))!) }
    let target = SIPURI(parsing: "sip:alice@192.0.2.7:5080")!
    let fallback = SIPPeer(transport: .udp, host: "198.51.100.1", port: 5060)

    @Test func withoutARouteSetTheRequestGoesToTheRemoteTarget() {
        let t = RouteSet().target(remoteTarget: target)
        #expect(t.requestURI == target)
        #expect(t.routes.isEmpty)
        #expect(RouteSet.peer(for: t.nextHop, fallback: fallback) == SIPPeer(transport: .udp, host: "192.0.2.7", port: 5080))
    }

    @Test func aLooseRouterIsTheNextHopAndTheRemoteTargetStaysTheRequestURI() {
        let set = RouteSet.uas(recordRoutes: [na("sip:203.0.113.1:5071;lr"), na("sip:203.0.113.2;lr")])
        let t = set.target(remoteTarget: target)
        #expect(t.requestURI == target)
        #expect(t.routes.map(\.description) == ["<sip:203.0.113.1:5071;lr>", "<sip:203.0.113.2;lr>"])
        #expect(RouteSet.peer(for: t.nextHop, fallback: fallback) == SIPPeer(transport: .udp, host: "203.0.113.1", port: 5071))
    }

    @Test func aStrictRouterGoesInTheRequestURIAndTheRemoteTargetLastInRoute() {
        let set = RouteSet([na("sip:203.0.113.1;method=INVITE?x=y"), na("sip:203.0.113.2;lr")])
        let t = set.target(remoteTarget: target)
        #expect(t.requestURI.description == "sip:203.0.113.1")
        #expect(t.routes.map(\.description) == ["<sip:203.0.113.2;lr>", "<sip:alice@192.0.2.7:5080>"])
        #expect(RouteSet.peer(for: t.nextHop, fallback: fallback).host == "203.0.113.1")
    }

    @Test func atAUACTheRecordRouteIsReversed() {
        let set = RouteSet.uac(recordRoutes: [na("sip:203.0.113.9;lr"), na("sip:203.0.113.1;lr")])
        #expect(set.routes.map(\.uri.host) == ["203.0.113.1", "203.0.113.9"])
    }

    @Test func aHostNameNextHopFallsBackAndATransportParameterIsHonoured() {
        #expect(RouteSet.peer(for: SIPURI(parsing: "sip:proxy.carrier.example;lr")!, fallback: fallback) == fallback)
        #expect(RouteSet.peer(for: SIPURI(parsing: "sip:203.0.113.1;lr;transport=tcp")!, fallback: fallback)
                == SIPPeer(transport: .tcp, host: "203.0.113.1", port: 5060))
    }

    @Test func aDialogMatchesOnlyWithCallIDAndBothTags() {
        let dialog = Dialog(callID: "c1", localTag: "ours", remoteTag: "theirs", localURI: na("sip:a@x"), remoteURI: na("sip:b@y"),
                            localCSeq: 1, remoteCSeq: 1, remoteTarget: target, routeSet: RouteSet(), fallbackPeer: fallback)
        func request(_ callID: String, to: String, from: String) -> SIPRequest {
            var f = na("sip:b@y"); f.tag = from
            var t = na("sip:a@x"); t.tag = to
            return SIPRequest(method: .bye, uri: target, vias: [], from: f, to: t, callID: callID, cSeq: CSeq(sequence: 2, method: .bye))
        }
        #expect(dialog.matches(request("c1", to: "ours", from: "theirs")))
        #expect(!dialog.matches(request("c2", to: "ours", from: "theirs")))
        #expect(!dialog.matches(request("c1", to: "ours", from: "other")))
        #expect(!dialog.matches(request("c1", to: "other", from: "theirs")))
    }

    @Test func aTargetRefreshMovesTheNextHopWhenThereIsNoRouteSet() {
        var dialog = Dialog(callID: "c1", localTag: "ours", remoteTag: "theirs", localURI: na("sip:a@x"), remoteURI: na("sip:b@y"),
                            localCSeq: 1, remoteCSeq: 1, remoteTarget: target, routeSet: RouteSet(), fallbackPeer: fallback)
        let moved = dialog.refreshTarget(from: [na("sip:alice@192.0.2.8:5090")])
        #expect(moved)
        #expect(dialog.peer == SIPPeer(transport: .udp, host: "192.0.2.8", port: 5090))
        let unchanged = dialog.refreshTarget(from: [])
        #expect(!unchanged)
    }
}
