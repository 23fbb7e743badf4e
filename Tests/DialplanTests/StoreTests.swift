import Foundation
import Synchronization
import Testing
@testable import Dialplan

/// Atomic swap: concurrent lookups always see one whole generation, and a
/// reload with errors keeps the running table.
@Suite struct StoreTests {
    static let numbers = (0..<30).map { "+1312555\(String(format: "%04d", 100 + $0))" }

    /// Three accounts sharing the numbers round-robin, all named with the generation.
    static func files(generation: Int) -> [String: String] {
        var files: [String: String] = [:]
        for account in 0..<3 {
            var text = "account: acct\(account)-g\(generation)\ntimezone: UTC\nnumbers:\n"
            for (index, number) in numbers.enumerated() where index % 3 == account {
                text += "  \"\(number)\": { plan: main, source: gen\(generation) }\n"
            }
            text += "plans:\n  main:\n    ring-all: { targets: [\"sip:g\(generation)@pbx.example\"] }\n"
            files["acct\(account).yaml"] = text
        }
        return files
    }

    @Test func concurrentLookupsSeeOneGeneration() throws {
        var tables: [DialplanTable] = []
        for generation in 0..<4 {
            let dir = try TempDialplans(Self.files(generation: generation))
            defer { dir.cleanup() }
            tables.append(try #require(dir.load().table))
        }
        let store = DialplanStore(directory: "/nonexistent", table: tables[0])
        let inconsistent = Atomic<Int>(0)
        let lookups = Atomic<Int>(0)
        let snapshot = tables
        // Iteration 0 swaps; the others read. Every loop is bounded.
        DispatchQueue.concurrentPerform(iterations: 5) { worker in
            if worker == 0 {
                for round in 0..<20_000 { store.swap(to: snapshot[round % snapshot.count]) }
                return
            }
            for _ in 0..<5_000 {
                let table = store.current
                var suffixes = Set<String>()
                for number in Self.numbers {
                    guard let entry = table.lookup(e164: number) else { inconsistent.add(1, ordering: .relaxed); continue }
                    suffixes.insert(String(entry.account.name.split(separator: "-").last!))
                    suffixes.insert(String(entry.source.dropFirst(3)).isEmpty ? "?" : "g" + entry.source.dropFirst(3))
                }
                if suffixes.count != 1 { inconsistent.add(1, ordering: .relaxed) }
                lookups.add(1, ordering: .relaxed)
            }
        }
        #expect(inconsistent.load(ordering: .relaxed) == 0)
        #expect(lookups.load(ordering: .relaxed) == 4 * 5_000)
    }

    @Test func badReloadKeepsTheRunningTable() throws {
        let dir = try TempDialplans(Self.files(generation: 1))
        defer { dir.cleanup() }
        let (maybeStore, first) = DialplanStore.load(directory: dir.path)
        let store = try #require(maybeStore)
        #expect(first.diagnostics.isEmpty)
        let running = store.current

        // One broken file among good ones: nothing of the new generation loads.
        for (name, text) in Self.files(generation: 2) { try dir.write(name, text) }
        try dir.write("acct2.yaml", "account: acct2-g2\ntimezone: Nowhere/Land\nplans: {}\n")
        let failed = store.reload()
        #expect(failed.table == nil)
        #expect(failed.diagnostics.map(\.description).contains { $0.hasSuffix("acct2.yaml:2:11: error: unknown timezone 'Nowhere/Land' (expected an IANA name such as Europe/London)") })
        #expect(store.current === running)
        #expect(store.current.lookup(e164: Self.numbers[0])?.account.name == "acct0-g1")

        // Fixed: the next reload swaps, and the old table is still usable by calls holding it.
        for (name, text) in Self.files(generation: 2) { try dir.write(name, text) }
        let fixed = store.reload()
        #expect(fixed.table != nil)
        #expect(store.current.lookup(e164: Self.numbers[0])?.account.name == "acct0-g2")
        #expect(running.lookup(e164: Self.numbers[0])?.account.name == "acct0-g1")
    }

    @Test func lookupByDialledForm() throws {
        let dir = try TempDialplans(Self.files(generation: 0))
        defer { dir.cleanup() }
        let table = try #require(dir.load().table)
        #expect(table.lookup(dialled: "sip:+13125550100@carrier.example;user=phone")?.source == "gen0")
        #expect(table.lookup(dialled: "(312) 555-0101", defaultRegion: "US")?.account.name == "acct1-g0")
        #expect(table.lookup(dialled: "+13125559999") == nil)
        #expect(table.numberCount == 30)
    }
}
