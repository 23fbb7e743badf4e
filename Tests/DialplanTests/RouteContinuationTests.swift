import Foundation
import Testing
@testable import Dialplan

/// The walk resumed at an IVR menu with the caller's entries gives exactly what a full
/// `Router.route(digits:)` gives (what `switchboard route --digits` prints), so the engine,
/// which resumes instead of routing again, and the dry run agree.
@Suite struct RouteContinuationTests {
    @Test(arguments: RouteGoldenTests.cases.filter { !$0.digits.isEmpty })
    func resumingAtTheMenuEqualsRoutingWithTheDigits(_ testCase: RouteGoldenTests.Case) throws {
        let table = try #require(RouteGoldenTests.table)
        let (initial, continuations) = Router.routeWithContinuations(to: testCase.to, from: testCase.from, at: utc(testCase.at),
                                                                     table: table, defaultRegion: testCase.region)
        #expect(initial == Router.route(to: testCase.to, from: testCase.from, at: utc(testCase.at), table: table,
                                        defaultRegion: testCase.region))
        let menu = try #require(continuations.first)
        #expect(menu.attempt == 0 && menu.menu == 0)
        let full = Router.route(to: testCase.to, from: testCase.from, at: utc(testCase.at), digits: testCase.digits,
                                table: table, defaultRegion: testCase.region)
        #expect(menu.resume(entries: testCase.digits).attempts == full.attempts)
    }

    /// Two menus in a row, the first behind a schedule, the second reached only by option 1,
    /// and a `then:` back into the first menu's tree.
    @Test func nestedMenusResumeOneAfterTheOther() throws {
        let dir = try TempDialplans(["shop.yaml": """
            account: shop
            timezone: UTC
            numbers:
              "+13125550100": { plan: hours }
            plans:
              hours:
                schedule:
                  branches:
                    always: { days: [mon-sun], hours: "00:00-23:59", plan: first }
                  default: desk
              first:
                ivr: { prompt: prompts/menu.wav, options: { "1": second, "2": desk }, timeout: 5s, attempts: 2, default: desk }
              second:
                ivr: { prompt: prompts/menu.wav, options: { "3": back }, timeout: 5s, attempts: 1, default: desk }
              back:
                ring-all: { targets: ["sip:back@192.0.2.3"], timeout: 10s }
                then: desk
              desk:
                ring-all: { targets: ["sip:desk@192.0.2.1"], timeout: 10s }
            """])
        defer { dir.cleanup() }
        try dir.writeData("prompts/menu.wav", wav())
        let result = dir.load()
        let table = try #require(result.table, "\(result.diagnostics)")
        let at = utc("2026-03-09T12:00:00Z")
        let (_, initial) = Router.routeWithContinuations(to: "+13125550100", from: "+13125550177", at: at, table: table)
        #expect(initial.count == 1, "the default path reaches one menu")
        let first = try #require(initial.first).resume(entries: ["9", "1"])
        let second = try #require(first.continuations.first)
        #expect(second.attempt == 0 && second.menu == 1)
        let resumed = second.resume(entries: ["3"])
        let full = Router.route(to: "+13125550100", from: "+13125550177", at: at, digits: ["9", "1", "3"], table: table)
        #expect(resumed.attempts == full.attempts)
        #expect(resumed.attempts.map { $0.groups.flatMap(\.legs).map(\.target) } == [["sip:back@192.0.2.3"], ["sip:desk@192.0.2.1"]])
        #expect(resumed.continuations.isEmpty)
    }
}
