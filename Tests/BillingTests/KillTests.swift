import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
#if canImport(Glibc)
import Glibc
import Postgres
#endif

/// A real crash: a child process runs the close and is `kill -9`ed inside the close's
/// transaction, after the rating statement and before COMMIT.
@Suite(.postgres) struct KillTests {
    /// The BillingBench executable (built with the tests by `swift build --build-tests`),
    /// next to the test bundle.
    static var benchBinary: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("BillingBench").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/BillingBench"
    }

    @Test func closeKilledWithSigkillMidTransactionIsRedoneExactlyOnce() throws {
        let binary = Self.benchBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build BillingBench first: \(binary)")
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "victim", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z"))
        try c.execute("""
        INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, answered_at, ended_at)
        SELECT gen_random_uuid(), gen_random_uuid(), 'victim', '+18005550100', 'outbound', 'tel:+14155550123',
               '2026-11-03T15:00:00Z'::timestamptz + g * interval '2 seconds',
               '2026-11-03T15:00:00Z'::timestamptz + g * interval '2 seconds' + (g % 200 + 1) * interval '1 second'
        FROM generate_series(1, 5000) g
        """)
        let out = NSTemporaryDirectory() + "close-child-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { unlink(out) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["close-and-hang", url, "2026-11-04T05:00:00Z"]
        child.standardOutput = FileHandle(forWritingAtPath: out)
        child.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        // Wait until the child has rated every leg inside its open transaction.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("RATED") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("RATED"))
        // Uncommitted: invisible to us; the close's advisory lock is held.
        #expect(try scalar(c, "SELECT count(*) FROM leg_ratings") == "0")
        #expect(try scalar(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == "1")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
        // The server rolls the dead session back; our close waits for the lock, then does it all.
        let r = try b.close(at: t("2026-11-04T05:00:00Z"))
        #expect(r.legsRated == 5000)
        #expect(r.usageCharges == 1)
        #expect(try scalar(c, "SELECT count(*) FROM closes") == "1")
        #expect(try scalar(c, "SELECT count(*) FROM usage_days") == "3")
        #expect(try scalar(c, "SELECT count(*) FROM charges WHERE kind = 'usage'") == "1")
        #expect(try scalar(c, "SELECT string_agg(DISTINCT r.close_id::text, ',') FROM call_legs l LEFT JOIN rated_legs r USING (leg_id)") == String(r.closeID!))
        #expect(try scalar(c, "SELECT count(*) FROM leg_ratings") == "5000")
        #expect(try b.close(at: t("2026-11-04T05:00:00Z")).legsRated == 0)
        // 5000 legs of 1…200 s at the pay-as-you-go +1 rate (60 s minimum, 60/60, 3 ¢/min).
        var micros: Int64 = 0
        for g in 1...5000 {
            micros += Rating.costMicros(seconds: Rating.billedSeconds(duration: g % 200 + 1, RatingIncrements(first: 60, next: 60, minimum: 60)),
                                        pricePerMinuteMicros: 3_000_000)
        }
        #expect(try scalar(c, "SELECT amount FROM usage_days WHERE business_day = '2026-11-03'") == String(Rating.minorUnits(micros: micros)))
    }
}
