import Foundation
import LegStore
import ProcessTestKit
import Testing
@testable import Tracking

/// Issue 16 item 5: `switchboard export google-ads-calls` on real rows — the calls whose
/// session came from a Google click, in Google's offline-conversion layouts, read back.
@Suite(.serialized) struct GoogleAdsExportTests {
    static func localTime(_ epoch: Double, _ zone: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: zone)
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: epoch.rounded(.down)))
    }

    @Test func clickAndCallerLayoutsListTheCallsOfClickedSessions() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let store = try db.store()
        defer { store.connection.close() }
        func session(gclid: String? = nil, gbraid: String? = nil, msclkid: String? = nil) throws -> SessionLease {
            try store.createSession(account: "acme", request: SessionRequest(key: "pk_acme_test", pool: "website", utmCampaign: "c",
                                                                             gclid: gclid, gbraid: gbraid, msclkid: msclkid),
                                    policy: SessionPolicy())
        }
        let clicked = try session(gclid: "EAIaIQobChMI-gclid-1")
        let app = try session(gbraid: "gbraid-2")
        let bing = try session(msclkid: "msclkid-3")
        let organic = try session()
        let calls = CallRows(db: db)
        let answered = try calls.insert(number: clicked.number, caller: "+12125550001", answered: true)
        let missed = try calls.insert(number: clicked.number, caller: "+12125550002", answered: false)
        let appCall = try calls.insert(number: app.number, caller: "+12125550003", answered: true)
        try calls.insert(number: bing.number, caller: "+12125550004", answered: true)
        try calls.insert(number: organic.number, caller: "+12125550005", answered: true)
        try calls.insert(number: clicked.number, caller: "+12125550006", answered: true, open: true)  // not finished
        try calls.insert(number: "+18005550100", caller: "+12125550007", answered: true)  // static number
        try calls.insert(number: clicked.number, caller: "+12125550008", answered: true, account: "other")

        let zone = "America/New_York"
        let since = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3600))
        let name = "Website call, qualified"
        let click = try runCLI(["export", "google-ads-calls", "--database", db.connectionString, "--account", "acme", "--since", since,
                                "--timezone", zone, "--conversion-name", name, "--value", "50", "--currency", "USD"])
        #expect(click.status == 0, "\(click.err)")
        let rows = parseCSV(click.out)
        #expect(rows.first == ["Parameters:TimeZone=\(zone)"])
        #expect(rows.dropFirst().first == ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"])
        let expected = try [answered, missed].map { id in
            ["EAIaIQobChMI-gclid-1", name, Self.localTime(try calls.times(id).end, zone), "50", "USD"]
        }
        #expect(Array(rows.dropFirst(2)) == expected)
        // The name with a comma is quoted on the wire.
        #expect(click.out.contains("\"Website call, qualified\""))

        // Only calls somebody talked on for at least 30 s.
        let talked = try runCLI(["export", "google-ads-calls", "--database", db.connectionString, "--account", "acme", "--since", since,
                                 "--min-talk-seconds", "30"])
        #expect(Array(parseCSV(talked.out).dropFirst(2)).map { $0[0] } == ["EAIaIQobChMI-gclid-1"])
        #expect(parseCSV(talked.out).first == ["Parameters:TimeZone=UTC"])

        let caller = try runCLI(["export", "google-ads-calls", "--database", db.connectionString, "--account", "acme", "--since", since,
                                 "--timezone", zone, "--by", "caller"])
        let callerRows = parseCSV(caller.out)
        #expect(callerRows.dropFirst().first == ["Caller's Phone Number", "Call Start Time", "Conversion Name", "Conversion Time",
                                                 "Conversion Value", "Conversion Currency"])
        let expectedCaller = try [(answered, "+12125550001"), (missed, "+12125550002"), (appCall, "+12125550003")].map { id, number in
            let t = try calls.times(id)
            return [number, Self.localTime(t.start, zone), "Phone call from website", Self.localTime(t.end, zone), "", ""]
        }
        #expect(Array(callerRows.dropFirst(2)) == expectedCaller)

        // Before the calls: a header and nothing else.
        let none = try runCLI(["export", "google-ads-calls", "--database", db.connectionString, "--account", "acme",
                               "--since", "2020-01-01", "--until", "2020-02-01"])
        #expect(parseCSV(none.out).count == 2)
    }

    @Test func badOptionsAreRefusedClearly() throws {
        let base = ["export", "google-ads-calls", "--database", "postgresql://127.0.0.1:1/x", "--account", "acme"]
        for (extra, message) in [(["--since", "yesterday"], "bad --since time"),
                                 (["--since", "2026-01-01", "--value", "50"], "--value needs --currency"),
                                 (["--since", "2026-01-01", "--value", "ten", "--currency", "USD"], "--value must be a non-negative number"),
                                 (["--since", "2026-01-01", "--value", "5", "--currency", "usd"], "ISO 4217"),
                                 (["--since", "2026-01-01", "--timezone", "Mars/Olympus"], "unknown --timezone"),
                                 (["--since", "2026-01-01", "--by", "email"], "--by must be click or caller")] {
            let r = try runCLI(base + extra)
            #expect(r.status != 0)
            #expect(r.err.contains(message), "\(extra): \(r.err)")
        }
    }
}
