import Foundation
import Testing
@testable import Dialplan

/// The engine's memo of libphonenumber's answers gives what libphonenumber gives, asks it
/// once per text, stays bounded, and routing through it decides as routing without it.
@Suite struct PhoneNumberMemoTests {
    static let inputs: [(String, String?)] = [
        ("+44 20 7946 0958", nil), ("0044 20 7946 0958", nil), ("011 44 20 7946 0958", "US"),
        ("020 7946 0958", "GB"), ("(650) 253-0000", "US"), ("tel:+1-650-253-0000", nil),
        ("18005550001", "US"), ("+18005550000", "US"), ("anonymous", "US"), ("12", "US"), ("sipp", nil),
    ]

    @Test func answersAsLibphonenumberAndAsksOncePerText() {
        let memo = PhoneNumberMemo()
        for round in 0..<3 {
            for (input, region) in Self.inputs {
                for withLocation in [false, true] {
                    let direct = PhoneNumber.details(parsing: input, defaultRegion: region, withLocation: withLocation)
                    #expect(memo.details(parsing: input, defaultRegion: region, withLocation: withLocation) == direct,
                            "\(input) \(region ?? "-") \(withLocation) round \(round)")
                }
            }
        }
        // Every (text, region, location) asked of libphonenumber once, unparseable ones included.
        #expect(memo.misses == Self.inputs.count * 2)
        #expect(memo.hits == Self.inputs.count * 2 * 2)
        #expect(memo.count == Self.inputs.count * 2)
    }

    @Test func theRegionIsPartOfTheQuestion() {
        let memo = PhoneNumberMemo()
        #expect(memo.details(parsing: "020 7946 0958", defaultRegion: "GB", withLocation: false)?.number.e164 == "+442079460958")
        #expect(memo.details(parsing: "020 7946 0958", defaultRegion: "US", withLocation: false)?.number.e164
                == PhoneNumber.details(parsing: "020 7946 0958", defaultRegion: "US", withLocation: false)?.number.e164)
        #expect(memo.misses == 2)
    }

    @Test func boundedAndLongTextsNeverKept() {
        let memo = PhoneNumberMemo(capacity: 8)
        for n in 0..<20 { _ = memo.details(parsing: "+1650253\(1000 + n)", defaultRegion: nil, withLocation: false) }
        #expect(memo.count <= 8)
        // A caller's 10 KB From user part is answered but never remembered.
        let long = "+1650" + String(repeating: "5", count: 10_000)
        #expect(memo.details(parsing: long, defaultRegion: nil, withLocation: true) == PhoneNumber.details(parsing: long))
        let before = memo.count
        _ = memo.details(parsing: long, defaultRegion: nil, withLocation: true)
        #expect(memo.count == before)
        #expect(memo.hits == 0)
    }

    /// The golden cases routed with one memo shared by all (twice, so the second pass is
    /// answered from it) decide exactly as without it.
    @Test func routingThroughTheMemoDecidesTheSame() throws {
        let table = try #require(RouteGoldenTests.table)
        let memo = PhoneNumberMemo()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let at = Date(timeIntervalSince1970: 1_780_000_000)
        for _ in 0..<2 {
            for testCase in RouteGoldenTests.cases {
                let plain = Router.routeWithContinuations(to: testCase.to, from: testCase.from, at: at, table: table,
                                                          defaultRegion: testCase.region)
                let memoised = Router.routeWithContinuations(to: testCase.to, from: testCase.from, at: at, table: table,
                                                             defaultRegion: testCase.region, numbers: memo)
                #expect(try encoder.encode(memoised.decision) == encoder.encode(plain.decision), "\(testCase.name)")
                #expect(memoised.continuations.count == plain.continuations.count, "\(testCase.name)")
            }
        }
        #expect(memo.hits > 0)
    }
}
