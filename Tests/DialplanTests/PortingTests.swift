import Foundation
import Testing
@testable import Dialplan

/// Issue 16 item 7: a number being ported in routes from the moment it is in the dialplan;
/// porting is US/Canada only; a FOC date that passed without completion is a warning.
@Suite struct PortingTests {
    static func file(_ numbers: String) -> String {
        """
        account: acme
        timezone: America/New_York
        numbers:
        \(numbers)
        plans:
          main:
            ring-all: { targets: ["sip:desk@127.0.0.1:5999"], timeout: 10s }

        """
    }

    @Test func aPendingPortRoutesLikeAnyNumber() throws {
        let dir = try TempDialplans(["acme.yaml": Self.file("""
          "+13125550140": { plan: main, source: yellow-pages, porting: { from: "Old Telco", requested: 2026-11-02, foc: 2099-01-15 } }
          "+14165550141": { plan: main, porting: { from: "Rogers", requested: 2026-10-01, foc: 2026-10-20, completed: 2026-10-20 } }
        """)])
        defer { dir.cleanup() }
        #expect(dir.diagnostics().isEmpty, "\(dir.diagnostics())")
        let table = try #require(dir.load().table)
        let entry = try #require(table.lookup(e164: "+13125550140"))
        #expect(entry.plan.name == "main" && entry.source == "yellow-pages")
        #expect(entry.porting == Porting(from: "Old Telco", requested: "2026-11-02", foc: "2099-01-15"))
        #expect(table.portingEntries.map(\.number) == ["+13125550140", "+14165550141"])
        #expect(table.portingEntries.filter { $0.porting!.isPending }.map(\.number) == ["+13125550140"])
    }

    @Test func portingIsRefusedOutsideTheUSAndCanadaAndBadDatesAreErrors() throws {
        let dir = try TempDialplans(["acme.yaml": Self.file("""
          "+442079460000": { plan: main, porting: { from: "BT", requested: 2026-11-02 } }
          "+13125550142": { plan: main, porting: { from: "Old Telco", requested: 2026-13-02 } }
          "+13125550143": { plan: main, porting: { from: "Old Telco", requested: 2026-11-10, foc: 2026-11-01 } }
          "+13125550144": { plan: main, porting: { requested: 2026-11-10 } }
        """)])
        defer { dir.cleanup() }
        let lines = dir.diagnostics()
        #expect(lines.contains("acme.yaml:4:43: error: porting is for US and Canadian numbers only; +442079460000 is a GB number"), "\(lines)")
        #expect(lines.contains("acme.yaml:5:74: error: porting requested must be a date YYYY-MM-DD, not '2026-13-02'"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("acme.yaml:6:") && $0.contains("error: porting foc 2026-11-01 is before requested 2026-11-10") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("acme.yaml:7:") && $0.contains("is missing 'from'") }, "\(lines)")
    }

    @Test func aPassedFOCWithoutCompletionIsAWarningNotAnError() throws {
        let dir = try TempDialplans(["acme.yaml": Self.file("""
          "+13125550145": { plan: main, porting: { from: "Old Telco", requested: 2020-01-02, foc: 2020-01-20 } }
        """)])
        defer { dir.cleanup() }
        let result = dir.load()
        #expect(result.table?.lookup(e164: "+13125550145") != nil)  // still routes
        #expect(dir.diagnostics() == ["acme.yaml:4:91: warning: porting of +13125550145 from Old Telco: FOC date 2020-01-20 has passed; add completed: DATE once the port is done (or correct foc)"])
        #expect(Porting(from: "x", requested: "2020-01-02", foc: "2020-01-20").focPassed(today: "2020-01-21"))
        #expect(!Porting(from: "x", requested: "2020-01-02", foc: "2020-01-20").focPassed(today: "2020-01-20"))
        #expect(!Porting(from: "x", requested: "2020-01-02", foc: "2020-01-20", completed: "2020-01-20").focPassed(today: "2021-01-01"))
    }
}
