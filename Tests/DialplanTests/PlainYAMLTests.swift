import Foundation
import Testing
@testable import Dialplan

/// Issue 17 item 2: `PlainYAML` builds exactly Yams' tree (marks included) for every text
/// it accepts, and accepts the files dialplans are; whatever it declines goes to Yams.
@Suite struct PlainYAMLTests {
    /// Every dialplan in the repository: the samples, the docs' and the fuzz corpus (535
    /// inputs libFuzzer grew, many of them broken YAML).
    static func texts() throws -> [(name: String, bytes: [UInt8])] {
        var result: [(String, [UInt8])] = []
        for folder in ["Dialplans", "bench/fuzz/corpus/dialplan", "systemd"] {
            let path = repositoryRoot + "/" + folder
            for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                guard let data = FileManager.default.contents(atPath: path + "/" + name) else { continue }
                result.append((folder + "/" + name, [UInt8](data)))
            }
        }
        return result
    }

    /// Accepted means equal to Yams; declined is always allowed.
    static func agrees(_ bytes: [UInt8]) -> Bool {
        guard let plain = PlainYAML.parse(bytes) else { return true }
        guard let text = String(data: Data(bytes), encoding: .utf8), case .success(let yams?) = DialplanLoader.composeWithYams(text) else {
            return false
        }
        return plain == yams
    }

    @Test func sameTreeAsYamsForEveryDialplanInTheRepository() throws {
        let texts = try Self.texts()
        #expect(texts.count > 500)
        var accepted = 0
        for (name, bytes) in texts {
            #expect(Self.agrees(bytes), "\(name)")
            if PlainYAML.parse(bytes) != nil { accepted += 1 }
        }
        // The samples and most of the corpus are plain: the fast path is what loads them.
        for sample in ["ace-plumbing", "northwind-home", "riverside-clinic"] {
            #expect(PlainYAML.parse(texts.first { $0.name == "Dialplans/\(sample).yaml" }!.bytes) != nil)
        }
        #expect(accepted > 100)
    }

    /// One-byte edits of the samples (indicators, spaces, line breaks, deletions) and
    /// swapped or repeated lines: Yams errors on many; the reader must decline those.
    @Test func mutationsAgreeWithYams() throws {
        var rng = E164VerdictsTests.SplitMix(state: 29)
        let samples = try Self.texts().filter { $0.name.hasPrefix("Dialplans/") }.map(\.bytes)
        let inserts = Array(" :-#\"'{}[],\na0~&*!|>?%@".utf8)
        var disagreements: [String] = []
        var accepted = 0
        for round in 0..<3_000 {
            var bytes = samples[round % samples.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(inserts.randomElement(using: &rng)!, at: at)
                case 2: bytes[at] = inserts.randomElement(using: &rng)!
                default:
                    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                    let a = Int.random(in: 0..<lines.count, using: &rng), b = Int.random(in: 0..<lines.count, using: &rng)
                    if Bool.random(using: &rng) { lines.swapAt(a, b) } else { lines.insert(lines[a], at: b) }
                    bytes = Array(lines.joined(separator: [0x0A]))
                }
            }
            if PlainYAML.parse(bytes) != nil { accepted += 1 }
            if !Self.agrees(bytes) { disagreements.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
        #expect(accepted > 100)
    }

    @Test func marksAndShapes() throws {
        let text = """
        # comment
        account: shop   # trailing
        numbers:
          "+13125550100": { plan: main, source: 'it''s' }
        pools:
          web:
            numbers:
            - "+13125550101"
            - +13125550102
        plans:
          main:
            sequential:
              - target: sip:a@b.example
                timeout: 20s
              - { target: "tel:+1", timeout: 5s }
        """
        let tree = try #require(PlainYAML.parse(Array(text.utf8)))
        #expect(Self.agrees(Array(text.utf8)))
        guard case .mapping(let root) = tree else { Issue.record("not a mapping"); return }
        #expect(root.mark == Node.Mark(line: 2, column: 1))
        #expect(root.map { $0.key.scalar?.string } == ["account", "numbers", "pools", "plans"])
        #expect(root[1].value.mapping?[0].value.mapping?[1].value.scalar == Node.Scalar("it's", mark: .init(line: 4, column: 41)))
        // Declined: Yams decides (anchors, escapes, block scalars, tabs, duplicate keys).
        // Nested deeper than the reader goes: Yams reads it (and the tree is still right).
        let deep = (0..<100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " v\n"
        #expect(PlainYAML.parse(Array(deep.utf8)) == nil)
        let flows = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(PlainYAML.parse(Array("a: \(flows)\n".utf8)) == nil)
        for declined in ["a: &x b\nc: *x\n", "a: \"\\u0041\"\n", "a: |\n  b\n", "a:\tb\n", "a: b\na: c\n", "a: b\n  c\n", "---\na: b\n"] {
            #expect(PlainYAML.parse(Array(declined.utf8)) == nil, "\(declined)")
        }
    }
}
