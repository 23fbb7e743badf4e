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
