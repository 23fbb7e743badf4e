import Foundation
import Testing
@testable import Dialplan

/// Issue 15 item 4: the toll-fraud rules an agent's call meets before anything is dialled,
/// and the dialplan's `outbound:` key with its `file:line:col` diagnostics.
@Suite struct OutboundPolicyTests {
    let us = OutboundPolicy(country: "US")

    @Test func nationalAndInternationalDiallingBecomeE164() {
        #expect(us.check(dialled: "+16502530000") == .success("+16502530000"))
        #expect(us.check(dialled: "(650) 253-0000") == .success("+16502530000"))
        #expect(us.check(dialled: "16502530000") == .success("+16502530000"))
        let uk = OutboundPolicy(country: "GB")
        #expect(uk.check(dialled: "020 7946 0958") == .success("+442079460958"))
        #expect(uk.check(dialled: "00442079460958") == .success("+442079460958"))
    }

    @Test func anythingButANumberIsRefused() {
        for dialled in ["", "12ab34", "alice", "+1650253000#", "*67 6502530000", "+1", "+16502530000;ext=1", "６５０２５３００００"] {
            #expect(us.check(dialled: dialled) == .failure(.notE164), "\(dialled)")
        }
        #expect(OutboundPolicy().check(dialled: "6502530000") == .failure(.noCountry))
    }

    @Test func onlyAllowedCountriesByRegionNotByCallingCode() {
        #expect(us.check(dialled: "+442079460958") == .failure(.countryNotAllowed))
        // +1 876 is Jamaica: the same calling code, another country (a classic fraud target).
        #expect(us.check(dialled: "+18769260000") == .failure(.countryNotAllowed))
        let both = OutboundPolicy(country: "US", countries: ["US", "GB"])
        #expect(both.check(dialled: "+442079460958") == .success("+442079460958"))
        #expect(both.allowedCountries == ["US", "GB"])
        #expect(us.allowedCountries == ["US"])
    }

    @Test func premiumAndHighCostRangesUnlessAllowed() {
        #expect(us.check(dialled: "+19002530000") == .failure(.premium))
        #expect(us.check(dialled: "+881631000000") == .failure(.premium))
        #expect(us.check(dialled: "+979123456789") == .failure(.premium))
        let allowed = OutboundPolicy(country: "US", allowPrefixes: ["+1900"])
        #expect(allowed.check(dialled: "+19002530000") == .success("+19002530000"))
        // Allowing a premium prefix does not allow its country.
        let uk = OutboundPolicy(country: "US", allowPrefixes: ["+4490"])
        #expect(uk.check(dialled: "+449098790000") == .failure(.countryNotAllowed))
    }

    @Test func theDialplanKeyLoadsWithDefaultsAndReportsMistakesWhereTheyAre() throws {
        let dir = try TempDialplans(["a.yaml": """
        account: a
        timezone: UTC
        numbers:
          "+13125550100": { plan: main, source: s }
        outbound:
          countries: [US, CA]
          allow-prefixes: ["+1900"]
          max-calls-per-agent: 3
        plans:
          main:
            ring-all: { targets: ["sip:a@127.0.0.1"] }
        """, "b.yaml": """
        account: b
        timezone: UTC
        numbers:
          "+442079460900": { plan: main, source: s }
        plans:
          main:
            ring-all: { targets: ["sip:a@127.0.0.1"] }
        """])
        defer { dir.cleanup() }
        #expect(dir.diagnostics().isEmpty, "\(dir.diagnostics())")
        let table = try #require(dir.load().table)
        let a = try #require(table.accounts["a"]?.outbound)
        #expect(a == OutboundPolicy(country: "US", countries: ["US", "CA"], allowPrefixes: ["+1900"], maxCallsPerAgent: 3))
        // No outbound: key: the first tracking number's country, two calls per agent.
        #expect(table.accounts["b"]?.outbound == OutboundPolicy(country: "GB"))

        let bad = try TempDialplans(["c.yaml": """
        account: c
        timezone: UTC
        numbers:
          "+13125550100": { plan: main, source: s }
        outbound:
          country: USA
          countries: [US, XX]
          allow-prefixes: ["1900"]
          max-calls-per-agent: 0
          daily-spend-limit: lots
          max-call: 2
        plans:
          main:
            ring-all: { targets: ["sip:a@127.0.0.1"] }
        """])
        defer { bad.cleanup() }
        let messages = bad.diagnostics().map { "\($0)" }
        let expected = [
            "c.yaml:6:12: error: 'USA' is not an ISO 3166 country code",
            "c.yaml:7:19: error: 'XX' is not an ISO 3166 country code",
            "c.yaml:8:20: error: allow-prefixes entries are E.164 prefixes",
            "c.yaml:9:24: error: max-calls-per-agent must be a whole number from 1 to 1000",
            "c.yaml:10:22: error: daily-spend-limit is a whole number of minor units",
            "c.yaml:11:3: error: unknown key 'max-call' in outbound",
        ]
        for e in expected {
            #expect(messages.contains { $0.hasSuffix(e) || $0.contains(e) }, "\(e) not in \(messages)")
        }
    }
}
