import Foundation
import LegStore
import ProcessTestKit
import Testing
@testable import Tracking

/// Issue 16 item 4: `switchboard report calls` against rows written to PostgreSQL, every
/// figure recomputed here from the list of calls the test made.
@Suite(.serialized) struct CallReportTests {
    struct Made {
        var source: String?, campaign: String?, keyword: String?, landing: String?
        var caller: String, answered: Bool, duration: Int
    }

    static func median(_ values: [Double]) -> Double? {
        let v = values.sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// The report as it should be: calls most first, `(none)` last, ties by key.
    static func expected(_ made: [Made], key: (Made) -> String?) -> [CallReport.Row] {
        var seen = Set<String>()
        var groups: [String?: CallReport.Row] = [:]
        var talks: [String?: [Double]] = [:]
        for m in made {
            let k = key(m)
            var row = groups[k] ?? CallReport.Row(key: k ?? "(none)", calls: 0, answered: 0, missed: 0, firstTime: 0, medianTalkSeconds: nil)
            row.calls += 1
            if m.answered { row.answered += 1; talks[k, default: []].append(Double(m.duration - 5)) } else { row.missed += 1 }
            if seen.insert(m.caller).inserted { row.firstTime += 1 }
            groups[k] = row
        }
        return groups.map { k, row in var r = row; r.medianTalkSeconds = median(talks[k] ?? []); return (k, r) }
            .sorted { a, b in
                if (a.0 == nil) != (b.0 == nil) { return a.0 != nil }
                if a.1.calls != b.1.calls { return a.1.calls > b.1.calls }
                return a.1.key < b.1.key
            }.map(\.1)
    }

    @Test func groupsBySourceCampaignKeywordLandingPageAndDay() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let store = try db.store()
        defer { store.connection.close() }
        let specs: [(source: String?, campaign: String?, keyword: String?, landing: String?)] = [
            ("google", "spring", "plumber", "https://www.acme.example/landing?gclid=1"),
            ("google", "autumn", "boiler repair", "https://www.acme.example/landing?gclid=2"),
            ("newsletter", nil, nil, "https://www.acme.example/offer?a=1"),
        ]
        var numbers: [String] = []
        for s in specs {
            let lease = try store.createSession(account: "acme", request: SessionRequest(key: "pk_acme_test", pool: "website", landingURL: s.landing,
                                                                                         utmSource: s.source, utmCampaign: s.campaign, utmTerm: s.keyword),
                                                policy: SessionPolicy())
            numbers.append(lease.number)
        }
        // (session index or nil for the static radio number, caller, answered, seconds)
        let plan: [(Int?, String, Bool, Int)] = [
            (0, "+12125550001", true, 65), (0, "+12125550002", true, 125), (0, "+12125550001", false, 20),
            (1, "+12125550003", true, 35), (1, "+12125550004", true, 50), (2, "+12125550005", false, 15),
            (nil, "+12125550006", true, 245), (nil, "+12125550003", true, 100),
        ]
        let calls = CallRows(db: db)
        var made: [Made] = []
        var first: UUID?
        for (i, (session, caller, answered, duration)) in plan.enumerated() {
            let id = try calls.insert(number: session.map { numbers[$0] } ?? "+18005550100", caller: caller, answered: answered,
                                      startOffset: Double(i) * 0.01, duration: duration)
            first = first ?? id
            let s = session.map { specs[$0] }
            made.append(Made(source: s?.source ?? "radio", campaign: s?.campaign, keyword: s?.keyword,
                             landing: s?.landing.map { String($0.split(separator: "?")[0]) }, caller: caller, answered: answered, duration: duration))
        }
        // The last call starts 70 ms ahead (after every session's lease, so attribution holds)
        // and the report counts only calls started before its own transaction began: a quick
        // report once missed one, in CI.
        try calls.waitUntilAllStarted()
        let since = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3600))
        func report(_ by: String, _ format: String = "json") throws -> String {
            let r = try runCLI(["report", "calls", "--database", db.connectionString, "--account", "acme", "--since", since, "--by", by, "--format", format])
            #expect(r.status == 0, "\(r.err)")
            return r.out
        }
        func decoded(_ by: String) throws -> [CallReport.Row] { try JSONDecoder().decode([CallReport.Row].self, from: Data(report(by).utf8)) }

        #expect(try decoded("source") == Self.expected(made) { $0.source })
        #expect(try decoded("campaign") == Self.expected(made) { $0.campaign })
        #expect(try decoded("keyword") == Self.expected(made) { $0.keyword })
        #expect(try decoded("landing-page") == Self.expected(made) { $0.landing })
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        let day = f.string(from: Date(timeIntervalSince1970: try calls.times(first!).start))
        #expect(try decoded("day") == Self.expected(made) { _ in day })
        // Sanity of the recomputation itself: the google group is what the plan says.
        #expect(Self.expected(made) { $0.source }.first == CallReport.Row(key: "google", calls: 5, answered: 4, missed: 1, firstTime: 4,
                                                                           medianTalkSeconds: 52.5))

        // CSV and table carry the same figures.
        let csv = parseCSV(try report("campaign", "csv"))
        #expect(csv.first == ["campaign", "calls", "answered", "missed", "first_time", "median_talk_seconds"])
        #expect(csv.dropFirst().map { $0[0] } == Self.expected(made) { $0.campaign }.map(\.key))
        // No campaign: the newsletter's missed call and the radio number's two (one caller seen before).
        #expect(csv.last == ["(none)", "3", "2", "1", "2", "167.5"])
        let table = try report("source", "table")
        #expect(table.split(separator: "\n").first?.split(separator: " ").map(String.init) == ["source", "calls", "answered", "missed", "first_time", "median_talk_seconds"])
        #expect(table.split(separator: "\n").dropFirst().first?.split(separator: " ").map(String.init) == ["google", "5", "4", "1", "4", "52.5"])
    }
}
