import Foundation
import Testing
@testable import Dialplan

/// One fixture per kind of problem, each asserting the exact file:line:col.
@Suite struct ValidationTests {
    /// A valid file; tests replace one line to introduce a problem.
    static let base = """
    account: shop
    timezone: America/Chicago
    numbers:
      "+13125550100": { plan: main, source: radio }
    plans:
      main:
        ring-all: { targets: ["sip:desk@pbx.shop.example"], timeout: 20s }
    """

    func check(_ files: [String: String], setup: (TempDialplans) throws -> Void = { _ in }) throws -> [String] {
        let dir = try TempDialplans(files)
        defer { dir.cleanup() }
        try setup(dir)
        let diagnostics = dir.diagnostics()
        if ProcessInfo.processInfo.environment["SHOW_DIAGNOSTICS"] != nil { print("ACTUAL", diagnostics) }
        return diagnostics
    }

    @Test func validFileLoads() throws {
        let dir = try TempDialplans(["shop.yaml": Self.base])
        defer { dir.cleanup() }
        let result = dir.load()
        #expect(result.diagnostics.isEmpty)
        #expect(result.table?.lookup(e164: "+13125550100")?.account.name == "shop")
    }

    @Test func yamlSyntaxError() throws {
        let diagnostics = try check(["bad.yaml": "account: shop\nplans: [main, other\ntimezone: UTC\n"])
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].hasPrefix("bad.yaml:3:9: error: YAML syntax:"))
    }

    @Test func unknownKeyWithSuggestion() throws {
        let text = Self.base.replacingOccurrences(of: "timeout: 20s }", with: "timout: 20s }")
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:7:57: error: unknown key 'timout' in ring-all (did you mean 'timeout'?)",
        ])
    }

    @Test func unknownTopLevelKey() throws {
        #expect(try check(["shop.yaml": Self.base + "\ncaler-id: caller\n"]) == [
            "shop.yaml:8:1: error: unknown key 'caler-id' in the account file (did you mean 'caller-id'?)",
        ])
    }

    @Test func unknownPlanName() throws {
        let text = Self.base.replacingOccurrences(of: "{ plan: main,", with: "{ plan: mian,")
        let diagnostics = try check(["shop.yaml": text])
        #expect(diagnostics == ["shop.yaml:4:27: error: unknown plan 'mian' (did you mean 'main'?)"])
    }

    @Test func thenCycle() throws {
        let text = Self.base + """

            then: backup
          backup:
            sequential: [{ target: "tel:+13125550150", timeout: 20s }]
            then: main
        """
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:11:11: error: plan cycle: main → backup → main",
        ])
    }

    @Test func nestingCycle() throws {
        let text = """
        account: shop
        timezone: UTC
        numbers:
          "+13125550100": { plan: menu }
        plans:
          menu:
            geographic:
              - { match: { country: [US] }, plan: inner }
              - { default: menu }
          inner:
            ring-all: { targets: ["sip:a@b.example"] }
        """
        #expect(try check(["shop.yaml": text]) == ["shop.yaml:9:20: error: plan cycle: menu → menu"])
    }

    @Test func numberClaimedTwiceInOneFile() throws {
        let text = Self.base.replacingOccurrences(of: "plans:", with: """
        pools:
          web: { numbers: ["+13125550101", "+13125550100"], plan: main }
        plans:
        """)
        let diagnostics = try check(["shop.yaml": text])
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].hasPrefix("shop.yaml:6:36: error: number +13125550100 is claimed twice: also at "))
        #expect(diagnostics[0].hasSuffix("shop.yaml:4:3 (account 'shop')"))
    }

    @Test func duplicateKeyNamesBothPlaces() throws {
        let text = Self.base.replacingOccurrences(of: "plans:", with: "  \"+13125550100\": { plan: main }\nplans:")
        let diagnostics = try check(["shop.yaml": text])
        #expect(diagnostics.count == 2)
        #expect(diagnostics[0].hasPrefix("shop.yaml:4:3: error: duplicate key '+13125550100' (also at "))
        #expect(diagnostics[0].hasSuffix("shop.yaml:5:3)"))
        #expect(diagnostics[1].hasPrefix("shop.yaml:5:3: error: duplicate key '+13125550100' (also at "))
    }

    @Test func numberClaimedInTwoFiles() throws {
        let other = Self.base.replacingOccurrences(of: "account: shop", with: "account: other")
        let diagnostics = try check(["a-shop.yaml": Self.base, "b-other.yaml": other])
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].hasPrefix("b-other.yaml:4:3: error: number +13125550100 is claimed twice: also at "))
        #expect(diagnostics[0].hasSuffix("a-shop.yaml:4:3 (account 'shop')"))
    }

    @Test func invalidE164() throws {
        let text = Self.base.replacingOccurrences(of: "\"+13125550100\"", with: "\"312-555-0100\"")
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:4:3: error: '312-555-0100' is not an E.164 number (+, country code, number; no spaces)",
        ])
    }

    @Test func unknownCountryCodes() throws {
        let text = """
        account: shop
        timezone: UTC
        numbers:
          "+9991234567": { plan: geo }
        plans:
          geo:
            geographic:
              - { match: { country: [GB, XX] }, plan: geo2 }
              - { default: geo2 }
          geo2:
            ring-all: { targets: ["sip:a@b.example"] }
        """
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:4:3: error: '+9991234567' has an unknown country code",
            "shop.yaml:8:34: error: unknown country code 'XX' (expected ISO 3166 alpha-2 such as GB)",
        ])
    }

    static let ivrBase = """
    account: shop
    timezone: UTC
    numbers:
      "+13125550100": { plan: menu }
    plans:
      menu:
        ivr: { prompt: prompts/menu.wav, options: { "1": desk }, timeout: 5s }
      desk:
        ring-all: { targets: ["sip:a@b.example"] }
    """

    @Test func missingPrompt() throws {
        #expect(try check(["shop.yaml": Self.ivrBase]) == [
            "shop.yaml:7:20: error: prompt 'prompts/menu.wav': file not found",
        ])
    }

    @Test(arguments: [
        (wav(rate: 16000), "16-bit PCM at 16000 Hz; prompts must be 8000 Hz"),
        (wav(channels: 2), "2 channels; prompts must be mono"),
        (wav(format: 1, bits: 8), "unsupported encoding (format 1, 8 bits); use 16-bit PCM, µ-law or A-law"),
        (Data("ID3 not a wav at all".utf8), "not a RIFF WAV file"),
    ])
    func wrongPromptFormat(data: Data, problem: String) throws {
        #expect(try check(["shop.yaml": Self.ivrBase]) { try $0.writeData("prompts/menu.wav", data) } == [
            "shop.yaml:7:20: error: prompt 'prompts/menu.wav': \(problem)",
        ])
    }

    @Test(arguments: [wav(format: 7, bits: 8), wav(format: 6, bits: 8), wav()])
    func acceptedPromptFormats(data: Data) throws {
        #expect(try check(["shop.yaml": Self.ivrBase]) { try $0.writeData("prompts/menu.wav", data) } == [])
    }

    @Test func badDuration() throws {
        let text = Self.base.replacingOccurrences(of: "timeout: 20s", with: "timeout: 20 seconds")
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:7:66: error: bad duration '20 seconds' for timeout (expected e.g. 20s, 5m, 1h)",
        ])
    }

    @Test func emptyTargets() throws {
        let text = Self.base.replacingOccurrences(of: "[\"sip:desk@pbx.shop.example\"]", with: "[]")
        #expect(try check(["shop.yaml": text]) == ["shop.yaml:7:26: error: targets is empty"])
    }

    @Test func invalidTargets() throws {
        let text = Self.base.replacingOccurrences(of: "[\"sip:desk@pbx.shop.example\"]",
                                                  with: "[\"mailto:x@y\", \"sip:\", \"tel:555\", \"agent:bobb\"]")
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:7:27: error: invalid target 'mailto:x@y' (expected sip:, tel: or agent:)",
            "shop.yaml:7:41: error: invalid SIP URI 'sip:' (expected sip:user@host)",
            "shop.yaml:7:49: error: invalid tel: target 'tel:555' (expected tel:+ and an E.164 number)",
            "shop.yaml:7:60: error: unknown agent 'bobb'",
        ])
    }

    @Test func unknownTimezone() throws {
        let text = Self.base.replacingOccurrences(of: "America/Chicago", with: "Europe/Lodnon")
        #expect(try check(["shop.yaml": text]) == [
            "shop.yaml:2:11: error: unknown timezone 'Europe/Lodnon' (expected an IANA name such as Europe/London) (did you mean 'Europe/London'?)",
        ])
    }

    @Test func unreachablePlanIsOnlyAWarning() throws {
        let text = Self.base + "\n  spare:\n    ring-all: { targets: [\"sip:b@c.example\"] }\n"
        let dir = try TempDialplans(["shop.yaml": text])
        defer { dir.cleanup() }
        #expect(dir.diagnostics() == ["shop.yaml:8:3: warning: plan 'spare' is not reachable from any number"])
        #expect(dir.load().table != nil)
    }

    @Test func everyProblemInEveryFileAtOnce() throws {
        let a = Self.base.replacingOccurrences(of: "America/Chicago", with: "Mars/Olympus")
        let b = Self.base.replacingOccurrences(of: "account: shop", with: "account: b")
            .replacingOccurrences(of: "+13125550100", with: "+13125550111").replacingOccurrences(of: "20s", with: "soon")
        let diagnostics = try check(["a.yaml": a, "b.yaml": b])
        #expect(diagnostics.count == 2)
        #expect(diagnostics[0].hasPrefix("a.yaml:2:11: error: unknown timezone"))
        #expect(diagnostics[1].hasPrefix("b.yaml:7:66: error: bad duration 'soon'"))
    }
}
