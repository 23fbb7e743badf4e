import Testing
@testable import SIPTransaction

@Suite struct TransactionTimersTests {
    @Test func rfcDefaultsAndDerivedTimers() {
        let t = TransactionTimers()
        #expect(t.t1 == ms(500) && t.t2 == s(4) && t.t4 == s(5))
        #expect(t.a == ms(500) && t.e == ms(500) && t.g == ms(500))
        #expect(t.b == s(32) && t.f == s(32) && t.h == s(32) && t.l == s(32) && t.m == s(32))
        #expect(t.d(reliable: false) == s(32) && t.d(reliable: true) == .zero)
        #expect(t.i(reliable: false) == s(5) && t.i(reliable: true) == .zero)
        #expect(t.j(reliable: false) == s(32) && t.j(reliable: true) == .zero)
        #expect(t.k(reliable: false) == s(5) && t.k(reliable: true) == .zero)
        #expect(t.trying == ms(200))
    }

    @Test func derivedTimersFollowConfiguredT1AndT4() {
        let t = TransactionTimers(t1: ms(100), t2: s(2), t4: s(3), unreliableTimerD: s(40))
        #expect(t.b == ms(6400) && t.f == ms(6400) && t.h == ms(6400) && t.j(reliable: false) == ms(6400))
        #expect(t.l == ms(6400) && t.m == ms(6400))
        #expect(t.i(reliable: false) == s(3) && t.k(reliable: false) == s(3))
        #expect(t.d(reliable: false) == s(40))
    }

    @Test func branchesCarryTheMagicCookieAndDiffer() {
        let a = TransactionBranch.make(), b = TransactionBranch.make()
        #expect(a.hasPrefix("z9hG4bK") && b.hasPrefix("z9hG4bK"))
        #expect(a.count == 29)
        #expect(a != b)
    }
}
