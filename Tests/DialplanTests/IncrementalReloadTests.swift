import Foundation
import Testing
@testable import Dialplan

/// Issue 17 item 3: a reload parses only the files that changed, and gives exactly the
/// table and diagnostics a full load of the directory gives (every step below compares the
/// store's reload with `DialplanLoader.load(directory:)` of the same files).
@Suite struct IncrementalReloadTests {
    /// An account file claiming `numbers` (half listed, half in a pool), with a porting entry
    /// on the first listed number when `porting`.
    static func account(_ name: String, _ numbers: [Int], source: String = "radio", porting: Bool = false, prompt: Bool = false) -> String {
        func e164(_ n: Int) -> String { "+1312555" + String(format: "%04d", n) }
        let half = numbers.count / 2
        var text = "account: \(name)\ntimezone: America/Chicago\n"
        if half > 0 {
            text += "numbers:\n"
            for (i, n) in numbers.prefix(half).enumerated() {
                let extra = porting && i == 0 ? ", porting: { from: \"Old Telco\", requested: 2026-01-02, foc: 2026-01-15 }" : ""
                text += "  \"\(e164(n))\": { plan: main, source: \(source)\(i % 2)\(extra) }\n"
            }
        }
        if numbers.count > half {
            text += "pools:\n  web:\n    plan: \(prompt ? "menu" : "main")\n    numbers:\n"
            for n in numbers.dropFirst(half) { text += "      - \"\(e164(n))\"\n" }
        }
        text += "plans:\n  main:\n    ring-all: { targets: [\"sip:desk@\(name).example\"], timeout: 20s }\n    then: vm\n"
        text += "  vm:\n    sequential:\n      - { target: \"sip:vm@\(name).example\", timeout: 30s }\n"
        if prompt { text += "  menu:\n    ivr: { prompt: prompts/menu.wav, options: { \"1\": main }, timeout: 5s }\n" }
        return text
    }

    /// Everything a table routes, as text: equal dumps route every number alike.
    static func dump(_ table: DialplanTable?) -> [String] {
        guard let table else { return ["no table"] }
        var lines = table.allEntries.map { entry in
            "\(entry.number) \(entry.account.name) \(entry.source) \(entry.plan.name)→\(entry.plan.then?.name ?? "-") "
                + "\(entry.pool ?? "-") \(entry.porting.map { "\($0.from) \($0.requested) \($0.foc ?? "-")" } ?? "-") \(entry.account.path)"
        }
        lines += table.accounts.keys.sorted().map { "account \($0) plans \(table.accounts[$0]!.plans.keys.sorted())" }
        lines.append("numbers \(table.numberCount) accounts \(table.accountCount) plans \(table.planCount)")
        return lines
    }

    /// Reloads `store` and loads the directory afresh; both must agree in every detail.
    @discardableResult
    static func reloadMatchesFullLoad(_ store: DialplanStore, _ dir: TempDialplans,
                                      sourceLocation: Testing.SourceLocation = #_sourceLocation) -> DialplanLoader.Result {
        let before = store.current
        let incremental = store.reload()
        let full = dir.load()
        #expect(incremental.diagnostics == full.diagnostics, sourceLocation: sourceLocation)
        #expect(dump(incremental.table) == dump(full.table), sourceLocation: sourceLocation)
        // A reload with errors keeps the running table; a good one swaps in its table.
        if let table = incremental.table {
            #expect(store.current === table, sourceLocation: sourceLocation)
        } else {
            #expect(store.current === before, sourceLocation: sourceLocation)
        }
        return incremental
    }

    @Test func editRemoveAddAndDuplicatesMatchAFullLoad() throws {
        var files: [String: String] = [:]
        for a in 0..<8 { files["acct\(a).yaml"] = Self.account("acct\(a)", Array((a * 10)..<(a * 10 + 10)), porting: a == 3) }
        let dir = try TempDialplans(files)
        defer { dir.cleanup() }
        let (maybeStore, first) = DialplanStore.load(directory: dir.path)
        let store = try #require(maybeStore)
        #expect(first.table?.numberCount == 80)
        // The porting FOC date has passed: a warning, and the file is re-checked on another day.
        #expect(first.diagnostics.count == 1)

        // Nothing changed: nothing is parsed again.
        Self.reloadMatchesFullLoad(store, dir)
        #expect(store.lastReloadWork.parsed == 0)

        // Edit one file (new numbers, new source): only it is parsed.
        try dir.write("acct2.yaml", Self.account("acct2", Array(200..<212), source: "tv"))
        var result = Self.reloadMatchesFullLoad(store, dir)
        #expect(store.lastReloadWork.parsed == 1)
        #expect(result.table?.lookup(e164: "+13125550211")?.account.name == "acct2")
        #expect(result.table?.lookup(e164: "+13125550020") == nil)

        // Same size, same second: the content hash still sees the change.
        try dir.write("acct2.yaml", Self.account("acct2", Array(300..<312), source: "tv"))
        result = Self.reloadMatchesFullLoad(store, dir)
        #expect(store.lastReloadWork.parsed == 1)
        #expect(result.table?.lookup(e164: "+13125550311")?.source == "web")

        // Remove a file.
        try FileManager.default.removeItem(atPath: dir.path + "/acct5.yaml")
        result = Self.reloadMatchesFullLoad(store, dir)
        #expect(store.lastReloadWork == .init(read: store.lastReloadWork.read, parsed: 0, removed: 1))
        #expect(result.table?.lookup(e164: "+13125550050") == nil)

        // Add a file sorting before the others, claiming a number of acct7 (and of acct1):
        // the new file is first in file order, so the old claims are the duplicates.
        try dir.write("a-new.yaml", Self.account("newcomer", [70, 11, 400, 401]))
        let running = store.current
        result = Self.reloadMatchesFullLoad(store, dir)
        #expect(result.table == nil)
        #expect(store.current === running)
        #expect(result.diagnostics.map(\.message).filter { $0.contains("claimed twice") }.count == 2)
        #expect(result.diagnostics.contains { $0.path.hasSuffix("acct7.yaml") && $0.message.contains("+13125550070 is claimed twice: also at") })

        // A duplicate within one file and an account defined twice, on top.
        try dir.write("acct6.yaml", Self.account("acct6", [60, 61, 62, 60]))
        try dir.write("acct9.yaml", Self.account("acct0", [900]))
        result = Self.reloadMatchesFullLoad(store, dir)
        #expect(result.diagnostics.contains { $0.message.hasPrefix("account 'acct0' is already defined at") })
        #expect(result.diagnostics.contains { $0.message.hasPrefix("number +13125550060 is claimed twice") })

        // Fix one duplicate at a time: each reload still agrees with a full load.
        try dir.write("a-new.yaml", Self.account("newcomer", [70, 400, 401]))
        Self.reloadMatchesFullLoad(store, dir)
        try FileManager.default.removeItem(atPath: dir.path + "/acct7.yaml")
        Self.reloadMatchesFullLoad(store, dir)
        try dir.write("acct6.yaml", Self.account("acct6", [60, 61, 62, 63]))
        Self.reloadMatchesFullLoad(store, dir)
        try dir.write("acct9.yaml", "account: acct9\ntimezone: Nowhere/Land\nplans: {}\n")
        Self.reloadMatchesFullLoad(store, dir)
        #expect(store.current === running)
        try dir.write("acct9.yaml", Self.account("acct9", [900]))
        result = Self.reloadMatchesFullLoad(store, dir)
        #expect(result.table != nil)
        #expect(result.table?.lookup(e164: "+13125550070")?.account.name == "newcomer")
        #expect(result.table?.lookup(e164: "+13125550060")?.account.name == "acct6")
    }

    @Test func aPromptThatChangesIsCheckedAgain() throws {
        let dir = try TempDialplans(["shop.yaml": Self.account("shop", [1, 2, 3, 4], prompt: true)])
        defer { dir.cleanup() }
        try dir.writeData("prompts/menu.wav", wav())
        let (maybeStore, first) = DialplanStore.load(directory: dir.path)
        let store = try #require(maybeStore)
        #expect(first.diagnostics.isEmpty)
        // The YAML is unchanged, but the prompt it names is now 16 kHz: a full load refuses it.
        try dir.writeData("prompts/menu.wav", wav(rate: 16000))
        let result = Self.reloadMatchesFullLoad(store, dir)
        #expect(result.table == nil)
        #expect(result.diagnostics.map(\.message) == ["prompt 'prompts/menu.wav': 16-bit PCM at 16000 Hz; prompts must be 8000 Hz"])
        try FileManager.default.removeItem(atPath: dir.path + "/prompts/menu.wav")
        #expect(Self.reloadMatchesFullLoad(store, dir).diagnostics.map(\.message) == ["prompt 'prompts/menu.wav': file not found"])
    }

    /// Random edits, removals, additions and same-size rewrites over a small number space
    /// (so numbers collide across and within files): after each, reload ≡ full load.
    @Test func randomChangesMatchAFullLoad() throws {
        var rng = E164VerdictsTests.SplitMix(state: 3)
        func numbers() -> [Int] { (0..<Int.random(in: 0...9, using: &rng)).map { _ in Int.random(in: 0..<150, using: &rng) } }
        var names = (0..<12).map { "f\($0).yaml" }
        var files: [String: String] = [:]
        for name in names { files[name] = Self.account(name.replacingOccurrences(of: ".yaml", with: ""), numbers()) }
        let dir = try TempDialplans(files)
        defer { dir.cleanup() }
        let store = DialplanStore(directory: dir.path, table: .empty)
        var loaded = 0
        for step in 0..<60 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let name = names.randomElement(using: &rng)!
                try dir.write(name, Self.account(name.replacingOccurrences(of: ".yaml", with: ""), numbers(), source: "s\(step % 3)"))
            case 5 where names.count > 2, 6 where names.count > 2:
                let name = names.remove(at: Int.random(in: 0..<names.count, using: &rng))
                try FileManager.default.removeItem(atPath: dir.path + "/" + name)
            case 7:
                let name = "g\(step).yaml"
                names.append(name)
                // Sometimes an account name already taken.
                try dir.write(name, Self.account(Bool.random(using: &rng) ? "g\(step)" : "f0", numbers()))
            default:
                // Unique numbers everywhere: a reload that loads.
                for (i, name) in names.enumerated() {
                    try dir.write(name, Self.account(name.replacingOccurrences(of: ".yaml", with: ""), Array((1000 + i * 10)..<(1000 + i * 10 + 6))))
                }
            }
            if Self.reloadMatchesFullLoad(store, dir).table != nil { loaded += 1 }
        }
        // Both outcomes were exercised.
        #expect(loaded > 3 && loaded < 57)
    }
}
