import SwitchboardConfig
import SwitchboardOperations
import Testing

/// Who may use the admin/metrics endpoint (issue 13 item 6), decided from `Authorization`.
@Suite struct AdminAccessTests {
    let token = AdminToken("0123456789abcdef-secret")!

    @Test func withoutATokenOnlyLoopbackIsServedAndNeverWithCallers() {
        let loopback = AdminAccess(token: nil, listensOnLoopback: true)
        #expect(loopback.decide(authorization: nil) == .allow(withToken: false))
        #expect(loopback.decide(authorization: "Bearer whatever-it-is-here") == .allow(withToken: false))
        let open = AdminAccess(token: nil, listensOnLoopback: false)
        #expect(open.decide(authorization: nil) == .refuse(reason: "admin-token-file is not configured"))
    }

    @Test func aWrongTokenIsRefusedEverywhere() {
        for loopback in [true, false] {
            let access = AdminAccess(token: token, listensOnLoopback: loopback)
            #expect(access.decide(authorization: "Bearer 0123456789abcdef-secreT")
                == .refuse(reason: "the bearer token does not match admin-token-file"))
            #expect(access.decide(authorization: "Basic 0123456789abcdef-secret")
                == .refuse(reason: "the bearer token does not match admin-token-file"))
        }
    }

    @Test func theRightTokenSeesEverythingAndNoTokenOnlyOnLoopback() {
        let loopback = AdminAccess(token: token, listensOnLoopback: true)
        #expect(loopback.decide(authorization: "Bearer 0123456789abcdef-secret") == .allow(withToken: true))
        #expect(loopback.decide(authorization: "bearer 0123456789abcdef-secret") == .allow(withToken: true))
        #expect(loopback.decide(authorization: nil) == .allow(withToken: false))
        let other = AdminAccess(token: token, listensOnLoopback: false)
        #expect(other.decide(authorization: "Bearer 0123456789abcdef-secret") == .allow(withToken: true))
        #expect(other.decide(authorization: nil)
            == .refuse(reason: "this endpoint needs Authorization: Bearer <the token in admin-token-file>"))
    }

    @Test func callersAreMaskedAsOnAPrintedBill() {
        #expect(CallerMask.mask("+14155550123") == "+1415•••••23")
        #expect(CallerMask.mask("+4420") == "•••••")
        #expect(CallerMask.mask("") == "")
        #expect(CallerMask.mask("12345678") == "12345•78")
    }
}
