import SwitchboardConfig
import SwitchboardOperations
import Testing

/// Every route and token rule of the admin endpoint, decided without a socket.
@Suite struct AdminRouteTests {
    let token = AdminToken("0123456789abcdef-secret")!
    let bearer = "Bearer 0123456789abcdef-secret"
    var open: AdminAccess { AdminAccess(token: nil, listensOnLoopback: true) }
    var guarded: AdminAccess { AdminAccess(token: token, listensOnLoopback: true) }

    func route(_ method: String, _ path: String, _ authorization: String? = nil, _ access: AdminAccess) -> AdminRoute {
        AdminRoute.route(method: method, path: path, authorization: authorization, access: access)
    }

    @Test func knownPaths() {
        #expect(route("GET", "/metrics", nil, open) == .metrics(headOnly: false))
        #expect(route("HEAD", "/metrics", nil, open) == .metrics(headOnly: true))
        #expect(route("GET", "/queues", nil, open) == .queues(revealCallers: false))
        #expect(route("GET", "/queues", bearer, guarded) == .queues(revealCallers: true))
        #expect(route("GET", "/bans", nil, open) == .listBans)
        #expect(route("DELETE", "/bans/192.0.2.7", nil, open) == .liftBan(address: "192.0.2.7"))
        #expect(route("DELETE", "/bans/2001%3Adb8%3A%3A1", nil, open) == .liftBan(address: "2001:db8::1"))
    }

    @Test func unknownPathsAndMethods() {
        #expect(route("GET", "/", nil, open) == .notFound)
        #expect(route("POST", "/queues", nil, open) == .notFound)
        #expect(route("POST", "/metrics", nil, open) == .methodNotAllowed(reason: "GET only", allow: "GET, HEAD"))
        #expect(route("GET", "/bans/192.0.2.7", nil, open) == .methodNotAllowed(reason: "GET /bans or DELETE /bans/ADDRESS", allow: "GET, DELETE"))
        #expect(route("DELETE", "/bans/", nil, open) == .methodNotAllowed(reason: "GET /bans or DELETE /bans/ADDRESS", allow: "GET, DELETE"))
        #expect(route("GET", "/", nil, open).immediateReply == .text(404, "not found: try /metrics, /queues or /bans"))
        #expect(route("POST", "/metrics", nil, open).immediateReply == .text(405, "GET only", headers: [("Allow", "GET, HEAD")]))
    }

    @Test func aWrongTokenIsRefusedOnEveryPathAndLiftingNeedsTheToken() {
        let wrong = route("GET", "/nowhere", "Bearer nope-nope-nope-nope", guarded)
        #expect(wrong == .unauthorized(reason: "the bearer token does not match admin-token-file"))
        #expect(wrong.immediateReply?.headers.first { $0.0 == "WWW-Authenticate" }?.1 == #"Bearer realm="switchboard""#)
        #expect(route("DELETE", "/bans/192.0.2.7", nil, guarded)
            == .unauthorized(reason: "lifting a ban needs Authorization: Bearer <the token in admin-token-file>"))
        #expect(route("DELETE", "/bans/192.0.2.7", bearer, guarded) == .liftBan(address: "192.0.2.7"))
        #expect(route("GET", "/bans", nil, guarded) == .listBans)
        // Off loopback without a token nothing is served at all.
        let remote = AdminAccess(token: token, listensOnLoopback: false)
        #expect(route("GET", "/metrics", nil, remote)
            == .unauthorized(reason: "this endpoint needs Authorization: Bearer <the token in admin-token-file>"))
    }

    @Test func repliesNameTheirContentType() {
        #expect(AdminReply.text(200, "ok").allHeaders.map(\.0) == ["Content-Type"])
        #expect(AdminReply.json([]).allHeaders.map(\.1) == ["application/json"])
        #expect(AdminReply.unavailable.status == 503)
        #expect(AdminReply.unavailable.body == Array("unavailable\n".utf8))
    }
}
