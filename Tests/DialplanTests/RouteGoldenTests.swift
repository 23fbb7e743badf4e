import Foundation
import Testing
@testable import Dialplan

/// `switchboard route --json` output for the sample dialplans, compared with
/// goldens in Tests/Fixtures/route/. Regenerate with UPDATE_GOLDENS=1 and
/// review the diff.
@Suite struct RouteGoldenTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let to: String
        let from: String?
        let at: String
        let digits: [String]
        var region: String? = nil
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plumber-answered-or-voicemail", to: "+1 312 555 0100", from: "(312) 555-0177", at: "2026-03-09T15:00:00Z", digits: []),
        Case(name: "plumber-withheld-caller", to: "tel:+13125550102", from: "anonymous", at: "2026-03-09T15:00:00Z", digits: []),
        Case(name: "clinic-open-pressed-1", to: "+44 20 7946 0100", from: "+44 20 7946 0958", at: "2026-03-09T09:30:00Z", digits: ["1"]),
        Case(name: "clinic-open-invalid-then-2", to: "020 7946 0111", from: "07700 900123", at: "2026-03-10T10:00:00Z", digits: ["9", "2"], region: "GB"),
        Case(name: "clinic-open-no-input", to: "+442079460112", from: nil, at: "2026-03-11T12:00:00Z", digits: []),
        Case(name: "clinic-saturday-closed-afternoon", to: "+442079460100", from: "+16502530000", at: "2026-03-14T15:00:00Z", digits: ["1"]),
        Case(name: "clinic-christmas", to: "+442079460100", from: "+442079460958", at: "2026-12-25T10:00:00Z", digits: []),
        Case(name: "brand-new-york", to: "+18005550100", from: "+1 212 555 0123", at: "2026-06-01T16:00:00Z", digits: []),
        Case(name: "brand-texas-then-call-centre", to: "+18005550111", from: "+1 713 555 0188", at: "2026-06-01T16:00:00Z", digits: []),
        Case(name: "brand-uk-country", to: "+18005550101", from: "+44 20 7946 0958", at: "2026-06-01T16:00:00Z", digits: []),
        Case(name: "brand-ireland-prefix", to: "+18005550101", from: "+353 1 234 5678", at: "2026-06-01T16:00:00Z", digits: []),
        Case(name: "brand-withheld-default", to: "+18005550113", from: nil, at: "2026-06-01T16:00:00Z", digits: []),
        Case(name: "unknown-number-404", to: "+1 312 555 0199", from: "+13125550177", at: "2026-06-01T16:00:00Z", digits: []),
    ]

    static let table: DialplanTable? = DialplanLoader.load(directory: repositoryRoot + "/Dialplans").table

    @Test func samplesPassCheck() throws {
        let result = DialplanLoader.load(directory: repositoryRoot + "/Dialplans")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.table?.accountCount == 3)
    }

    @Test(arguments: cases)
    func golden(_ testCase: Case) throws {
        let table = try #require(Self.table)
        let decision = Router.route(to: testCase.to, from: testCase.from, at: utc(testCase.at), digits: testCase.digits, table: table, defaultRegion: testCase.region)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(decision), as: UTF8.self) + "\n"
        let path = repositoryRoot + "/Tests/Fixtures/route/\(testCase.name).json"
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] != nil {
            try FileManager.default.createDirectory(atPath: repositoryRoot + "/Tests/Fixtures/route", withIntermediateDirectories: true)
            try json.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        #expect(json == golden, "route output differs from \(path); rerun with UPDATE_GOLDENS=1 and review the diff")
    }
}
