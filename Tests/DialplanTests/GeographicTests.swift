import Foundation
import Testing
@testable import Dialplan

/// Geographic rules: country, NANP area code, E.164 prefix, geocoder location, default.
@Suite struct GeographicTests {
    static let text = """
    account: brand
    timezone: UTC
    numbers:
      "+18005550100": { plan: geo }
    plans:
      geo:
        geographic:
          - { match: { country: [GB, IE] }, plan: europe }
          - { match: { area-code: ["212", "646"] }, plan: new-york }
          - { match: { prefix: ["+1415"] }, plan: west }
          - { match: { location: ["Mountain View, CA"] }, plan: west }
          - { match: { country: US, location: [texas] }, plan: texas }
          - { default: national }
      europe: { ring-all: { targets: ["sip:eu@brand.example"] } }
      new-york: { ring-all: { targets: ["sip:ny@brand.example"] } }
      west: { ring-all: { targets: ["sip:west@brand.example"] } }
      texas: { ring-all: { targets: ["sip:tx@brand.example"] } }
      national: { ring-all: { targets: ["sip:hq@brand.example"] } }
    """

    static func plan() throws -> GeographicPlan {
        let dir = try TempDialplans(["brand.yaml": text])
        defer { dir.cleanup() }
        let table = try #require(dir.load().table)
        guard case .geographic(let plan) = table.lookup(e164: "+18005550100")!.plan.kind else { throw CancellationError() }
        return plan
    }

    @Test(arguments: [
        ("+44 20 7946 0958", "europe", "rule 1: country GB"),
        ("+353 1 234 5678", "europe", "rule 1: country IE"),
        ("(212) 555-0123", "new-york", "rule 2: area code 212"),
        ("+1 415 555 0100", "west", "rule 3: prefix +1415"),
        ("+1 650 253 0000", "west", "rule 4: location 'Mountain View, CA' matches 'Mountain View, CA'"),
        ("+1 512 555 0100", "texas", "rule 5: country US, location 'Texas' matches 'texas'"),
        ("+33 1 42 68 53 00", "national", "no rule matched caller +33142685300 (FR, area code 1, Paris): default"),
        ("anonymous", "national", "caller withheld or unparseable ('anonymous'): default"),
        ("", "national", "caller withheld or unparseable (''): default"),
    ])
    func match(caller: String, plan: String, reason: String) throws {
        let result = try Self.plan().match(caller: CallerInfo(caller, defaultRegion: "US"))
        #expect(result.plan?.name == plan)
        #expect(result.reason == reason)
    }
}
