import Foundation
import Dialplan
import LegStore
import Testing
@testable import Tracking

/// Issue 16 item 1: leases in a real PostgreSQL — least recently used first, takeover of the
/// longest-idle lease when the pool is full, heartbeat and expiry, no number leased twice
/// under concurrent creation.
@Suite(.serialized) struct LeaseStoreTests {
    let policy = SessionPolicy(idleTimeout: 1800, attributionGrace: 120)

    @Test func eachNewSessionGetsTheLeastRecentlyUsedFreeNumber() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(3))
        defer { db.cleanUp() }
        let store = try db.store()
        let first = try store.createSession(account: "acme", request: .sample(), policy: policy)
        let second = try store.createSession(account: "acme", request: .sample(), policy: policy)
        let third = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(Set([first.number, second.number, third.number]).count == 3)
        #expect(![first, second, third].contains { $0.tookOver })
        // The first expires; the next session gets its number (the only free one), although
        // it was used before: free beats least recently used.
        try store.connection.execute("UPDATE dni_leases SET expires_at = now() - interval '1 second' WHERE session_id = $1",
                                     [first.sessionID.uuidString.lowercased()])
        try store.connection.execute("UPDATE dni_numbers SET lease_expires_at = now() - interval '1 second' WHERE number = $1", [first.number])
        let fourth = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(fourth.number == first.number)
        #expect(!fourth.tookOver)
    }

    @Test func aFreedNumberWaitsBehindNumbersFreedEarlier() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(3))
        defer { db.cleanUp() }
        let store = try db.store()
        let a = try store.createSession(account: "acme", request: .sample(), policy: policy)
        let b = try store.createSession(account: "acme", request: .sample(), policy: policy)
        // Expire both, b's lease first used later: a's number (leased earlier) is chosen next
        // among the used ones, and the never-used third number before either.
        try store.connection.execute("UPDATE dni_numbers SET lease_expires_at = now() - interval '1 second'")
        let c = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(c.number != a.number && c.number != b.number)
        let d = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(d.number == a.number)
    }

    @Test func aFullPoolTakesOverTheLongestIdleLeaseAndMarksItsSession() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(2))
        defer { db.cleanUp() }
        let store = try db.store()
        let a = try store.createSession(account: "acme", request: .sample(), policy: policy)
        let b = try store.createSession(account: "acme", request: .sample(), policy: policy)
        // b heartbeats later than a: a is the longest idle.
        try store.connection.execute("UPDATE dni_numbers SET lease_seen_at = now() - interval '10 minutes' WHERE number = $1", [a.number])
        let c = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(c.number == a.number)
        #expect(c.tookOver)
        #expect(try db.scalar("SELECT taken_over_at IS NOT NULL FROM dni_sessions WHERE session_id = $1", [a.sessionID.uuidString.lowercased()]) == "t")
        #expect(try db.scalar("SELECT taken_over_at IS NULL FROM dni_sessions WHERE session_id = $1", [b.sessionID.uuidString.lowercased()]) == "t")
        #expect(try store.heartbeat(sessionID: a.sessionID, account: "acme", policy: policy) == .takenOver)
        let status = try store.poolStatus()
        #expect(status == [PoolStatus(account: "acme", pool: "website", numbers: 2, leased: 2, free: 0, takeovers: 1)])
    }

    @Test func heartbeatExtendsTheLeaseAndAnExpiredOneIsGone() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(2))
        defer { db.cleanUp() }
        let store = try db.store()
        let a = try store.createSession(account: "acme", request: .sample(), policy: SessionPolicy(idleTimeout: 60))
        let before = try db.scalar("SELECT expires_at FROM dni_leases WHERE session_id = $1", [a.sessionID.uuidString.lowercased()])
        guard case .extended(let number, _) = try store.heartbeat(sessionID: a.sessionID, account: "acme", policy: SessionPolicy(idleTimeout: 3600)) else {
            Issue.record("heartbeat did not extend")
            return
        }
        #expect(number == a.number)
        let after = try db.scalar("SELECT expires_at > $2::timestamptz + interval '50 minutes' FROM dni_leases WHERE session_id = $1",
                                  [a.sessionID.uuidString.lowercased(), before])
        #expect(after == "t")
        // Another account's key cannot touch the session.
        #expect(try store.heartbeat(sessionID: a.sessionID, account: "other", policy: policy) == .unknownSession)
        #expect(try store.heartbeat(sessionID: UUID(), account: "acme", policy: policy) == .unknownSession)
        try store.connection.execute("UPDATE dni_leases SET expires_at = now() - interval '1 second'")
        #expect(try store.heartbeat(sessionID: a.sessionID, account: "acme", policy: policy) == .expired)
    }

    @Test func numbersRemovedFromTheDialplanAreNoLongerLeased() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(2))
        defer { db.cleanUp() }
        let store = try db.store()
        let kept = TrackingDatabase.numbers(1)
        let dir = try TrackingDatabase.writeDialplan(poolNumbers: kept)
        defer { try? FileManager.default.removeItem(at: dir) }
        try store.sync(PoolDirectory(table: #require(DialplanLoaderHelper.table(dir.path))))
        let a = try store.createSession(account: "acme", request: .sample(), policy: policy)
        let b = try store.createSession(account: "acme", request: .sample(), policy: policy)
        #expect(a.number == kept[0] && b.number == kept[0] && b.tookOver)
        #expect(try db.scalar("SELECT count(*) FROM dni_numbers") == "2")  // history kept
    }

    @Test func anUnsyncedPoolIsReportedEmpty() throws {
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(1))
        defer { db.cleanUp() }
        var request = SessionRequest.sample()
        request.pool = "print"
        #expect(throws: LeaseError.poolEmpty(account: "acme", pool: "print")) {
            try db.store().createSession(account: "acme", request: request, policy: policy)
        }
    }

    /// 24 threads, each on its own connection, create sessions at once against a pool of 16:
    /// every session gets a number, and at no point does one number have two live leases.
    @Test func concurrentCreationNeverLeasesANumberTwice() throws {
        let poolSize = 16, workers = 24, perWorker = 3
        let db = try TrackingDatabase(poolNumbers: TrackingDatabase.numbers(poolSize))
        defer { db.cleanUp() }
        let lock = NSLock()
        nonisolated(unsafe) var leases: [SessionLease] = []
        nonisolated(unsafe) var errors: [String] = []
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let store = try db.store()
                    start.wait()
                    for _ in 0..<perWorker {
                        let lease = try store.createSession(account: "acme", request: .sample(), policy: policy)
                        lock.lock(); leases.append(lease); lock.unlock()
                    }
                } catch {
                    lock.lock(); errors.append("\(error)"); lock.unlock()
                }
            }
        }
        usleep(300_000)  // every worker connected and waiting
        for _ in 0..<workers { start.signal() }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(errors.isEmpty, "\(errors)")
        #expect(leases.count == workers * perWorker)
        // Every number of the pool was used (a takeover happens only when none was free).
        #expect(try db.scalar("SELECT count(DISTINCT number) FROM dni_leases") == String(poolSize))
        // No two leases of one number overlap in time (a takeover ends the old one first).
        let overlaps = try db.scalar("""
            SELECT count(*) FROM dni_leases a JOIN dni_leases b ON a.number = b.number AND a.lease_id < b.lease_id
            WHERE b.started_at < COALESCE(a.ended_at, a.expires_at)
            """)
        #expect(overlaps == "0")
        // One number's leases follow each other in time in the order they were made (a lease
        // taken over never ends before it started), which attribution by time relies on.
        #expect(try db.scalar("SELECT count(*) FROM dni_leases WHERE ended_at < started_at") == "0")
        #expect(try db.scalar("""
            SELECT count(*) FROM (SELECT started_at, lag(started_at) OVER (PARTITION BY number ORDER BY lease_id) AS previous
                                  FROM dni_leases) s WHERE started_at < previous
            """) == "0")
        // Exactly one live lease per number, and it is the one dni_numbers points at.
        #expect(try db.scalar("""
            SELECT count(*) FROM dni_numbers n JOIN dni_leases l ON l.lease_id = n.current_lease
            WHERE l.ended_at IS NULL AND l.expires_at > now()
            """) == String(poolSize))
        #expect(try db.scalar("SELECT count(*) FROM dni_leases WHERE end_reason = 'taken-over'") == String(workers * perWorker - poolSize))
    }
}

enum DialplanLoaderHelper {
    static func table(_ path: String) -> Dialplan.DialplanTable? { Dialplan.DialplanLoader.load(directory: path).table }
}
