import Testing
@testable import Registrar

/// Nonces on a fake clock: bound to the address, expiring into `stale`, counts increasing.
@Suite struct NonceAuthorityTests {
    final class Clock: @unchecked Sendable {
        var now: Duration = .seconds(1000)
    }

    @Test func validThenStaleAfterLifetime() {
        let clock = Clock()
        let authority = NonceAuthority(lifetime: .seconds(300), now: { clock.now })
        let nonce = authority.issue(for: "198.51.100.7")
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 1) == .valid)
        clock.now += .seconds(299)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 2) == .valid)
        clock.now += .seconds(2)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 3) == .stale)
    }

    @Test func boundToTheSourceAndTheKey() {
        let clock = Clock()
        let authority = NonceAuthority(now: { clock.now })
        let nonce = authority.issue(for: "198.51.100.7")
        #expect(authority.verify(nonce, source: "198.51.100.8", nc: 1) == .invalid)
        // Another process (another key) does not accept it: a restart invalidates nonces.
        let other = NonceAuthority(now: { clock.now })
        #expect(other.verify(nonce, source: "198.51.100.7", nc: 1) == .invalid)
        // One flipped character breaks the HMAC.
        var chars = Array(nonce)
        chars[3] = chars[3] == "0" ? "1" : "0"
        #expect(authority.verify(String(chars), source: "198.51.100.7", nc: 1) == .invalid)
        #expect(authority.verify("not-a-nonce", source: "198.51.100.7", nc: 1) == .invalid)
    }

    @Test func nonceCountMustIncrease() {
        let clock = Clock()
        let authority = NonceAuthority(now: { clock.now })
        let nonce = authority.issue(for: "198.51.100.7")
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 1) == .valid)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 1) == .replayed)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 3) == .valid)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 2) == .replayed)
        #expect(authority.verify(nonce, source: "198.51.100.7", nc: 4) == .valid)
    }

    @Test func countsArePrunedWithTheirNonces() {
        let clock = Clock()
        let authority = NonceAuthority(lifetime: .seconds(60), maxTracked: 4, now: { clock.now })
        for i in 0..<4 { #expect(authority.verify(authority.issue(for: "10.0.0.\(i)"), source: "10.0.0.\(i)", nc: 1) == .valid) }
        #expect(authority.trackedCount == 4)
        // Full of live nonces: a new first use is told to fetch a new nonce later.
        #expect(authority.verify(authority.issue(for: "10.0.0.9"), source: "10.0.0.9", nc: 1) == .stale)
        clock.now += .seconds(61)
        authority.prune()
        #expect(authority.trackedCount == 0)
        #expect(authority.verify(authority.issue(for: "10.0.0.9"), source: "10.0.0.9", nc: 1) == .valid)
    }
}
