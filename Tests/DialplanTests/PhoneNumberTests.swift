import Testing
@testable import Dialplan

@Suite struct PhoneNumberTests {
    @Test(arguments: [
        ("+44 20 7946 0958", nil, "+442079460958"),
        ("0044 20 7946 0958", nil, "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("650.253.0000", "US", "+16502530000"),
        ("tel:+1-650-253-0000", nil, "+16502530000"),
        ("sip:+16502530000@carrier.example;user=phone", nil, "+16502530000"),
        ("<sip:0044-20-7946-0958@carrier.example>", nil, "+442079460958"),
        ("sip:6502530000@carrier.example", "US", "+16502530000"),
        ("+1 (212) 555-0123", nil, "+12125550123"),
    ] as [(String, String?, String)])
    func normalises(input: String, region: String?, expected: String) {
        #expect(PhoneNumber(parsing: input, defaultRegion: region)?.e164 == expected)
    }

    @Test(arguments: ["", "anonymous", "sip:anonymous@anonymous.invalid", "Restricted", "sip:alice@example.com", "hello", "+", "12"])
    func withheldOrUnparseable(input: String) {
        #expect(PhoneNumber(parsing: input, defaultRegion: "US") == nil)
    }

    /// The call path's one-parse `details` agrees with the separate properties (each of which
    /// parses again) for every shape of input, including withheld and impossible numbers.
    @Test func detailsFromOneParseMatchTheProperties() {
        let inputs: [(String, String?)] = [
            ("+44 20 7946 0958", nil), ("0044 20 7946 0958", nil), ("011 44 20 7946 0958", "US"),
            ("020 7946 0958", "GB"), ("(650) 253-0000", "US"), ("tel:+1-650-253-0000", nil),
            ("sip:+16502530000@carrier.example;user=phone", nil), ("+1 (212) 555-0123", nil),
            ("+14155550123", nil), ("+33 1 42 68 53 00", nil), ("+81 3-3224-9999", nil), ("+61 2 9374 4000", nil),
            ("+800 1234 5678", nil), ("+1 800 555 0199", nil), ("+447700900123", nil), ("2125550123", "US"),
            ("anonymous", "US"), ("+", nil), ("12", "US"), ("+1 212 555", nil), ("+99912345678", nil),
        ]
        var parsed = 0
        for (input, region) in inputs {
            let separate = PhoneNumber(parsing: input, defaultRegion: region)
            let details = PhoneNumber.details(parsing: input, defaultRegion: region)
            #expect(details?.number == separate, "\(input)")
            guard let separate, let details else { continue }
            parsed += 1
            #expect(details.region == separate.region, "\(input)")
            #expect(details.areaCode == separate.areaCode, "\(input)")
            #expect(details.location == separate.location, "\(input)")
            #expect(PhoneNumber.details(parsing: input, defaultRegion: region, withLocation: false)?.location == nil)
        }
        #expect(parsed >= 15)
    }

    @Test func regionAndLocation() {
        let london = PhoneNumber(parsing: "+442079460958")!
        #expect(london.region == "GB")
        #expect(london.location == "London")
        #expect(london.areaCode == "20")
        let google = PhoneNumber(parsing: "+16502530000")!
        #expect(google.region == "US")
        #expect(google.location == "Mountain View, CA")
        #expect(google.areaCode == "650")
        #expect(google.isValid)
        #expect(PhoneNumber(parsing: "+12125550123")?.areaCode == "212")
    }

    @Test func strictE164() {
        #expect(PhoneNumber(e164: "+442079460958") != nil)
        #expect(PhoneNumber(e164: "+44 20 7946 0958") == nil)
        #expect(PhoneNumber(e164: "442079460958") == nil)
        #expect(PhoneNumber.key("+442079460958") == 442079460958)
        #expect(PhoneNumber.isSupportedRegion("GB"))
        #expect(!PhoneNumber.isSupportedRegion("XX"))
        #expect(PhoneNumber.isSupportedCountryCode(44))
        #expect(!PhoneNumber.isSupportedCountryCode(999))
    }
}
