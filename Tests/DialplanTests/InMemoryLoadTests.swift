import Foundation
import Testing
@testable import Dialplan

/// `DialplanLoader.load(files:directory:)`, the in-memory way in (the fuzz target's): the same
/// diagnostics and table as `load(directory:)` on files with the same contents.
@Suite struct InMemoryLoadTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Inputs that reach every kind of diagnostic the loader gives: the sample dialplans, the
    /// fuzz corpus, and broken variants (YAML errors, schema errors, an empty file, bytes that
    /// are not UTF-8, a prompt that does not exist).
    static func inputs() throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for dir in ["Dialplans", "bench/fuzz/corpus/dialplan"] {
            let url = repository.appendingPathComponent(dir)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            where !name.hasPrefix(".") && name != "README.md" && name != "prompts" {
                out.append((name, Array(try Data(contentsOf: url.appendingPathComponent(name)))))
            }
        }
        let sample = String(decoding: out.first { $0.0 == "ace-plumbing.yaml" }!.1, as: UTF8.self)
        out.append(("broken-indent", Array(sample.replacingOccurrences(of: "\n  ", with: "\n ", options: [], range: nil).utf8)))
        out.append(("unknown-key", Array((sample + "\nbogus-key: 1\n").utf8)))
        out.append(("missing-prompt", Array(sample.replacingOccurrences(of: "prompts/", with: "nowhere/").utf8)))
        out.append(("empty", []))
        out.append(("latin1", [0x61, 0x3A, 0x20, 0xE9, 0x0A]))
        out.append(("flow-open", Array("a: [1, 2\n".utf8)))
        return out
    }

    @Test func sameDiagnosticsAndTableAsFromFiles() throws {
        let prompts = Self.repository.appendingPathComponent("Dialplans/prompts").path
        let dir = NSTemporaryDirectory() + "/dialplan-in-memory-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/prompts", withDestinationPath: prompts)
        var compared = 0
        for input in try Self.inputs() {
            let path = dir + "/plan.yaml"
            FileManager.default.createFile(atPath: path, contents: Data(input.bytes))
            let fromFile = DialplanLoader.load(directory: dir)
            let inMemory = DialplanLoader.load(files: [.init(path: path, contents: input.bytes)], directory: dir)
            #expect(inMemory.diagnostics.map(\.description) == fromFile.diagnostics.map(\.description), "\(input.name)")
            #expect((inMemory.table == nil) == (fromFile.table == nil), "\(input.name)")
            #expect(inMemory.table?.accountCount == fromFile.table?.accountCount, "\(input.name)")
            compared += 1
        }
        #expect(compared >= 10)
    }

    @Test func severalFilesAndNoFiles() throws {
        let dir = NSTemporaryDirectory() + "/dialplan-in-memory-none-\(getpid())"
        let none = DialplanLoader.load(files: [], directory: dir)
        #expect(none.diagnostics.map(\.description) == ["\(dir):0:0: warning: no *.yaml dialplan files"])
        let bad = DialplanLoader.load(files: [.init(path: dir + "/a.yaml", contents: Array("a: [1\n".utf8)),
                                              .init(path: dir + "/b.yaml", contents: [])], directory: dir)
        #expect(bad.table == nil)
        #expect(bad.diagnostics.map(\.path) == [dir + "/a.yaml", dir + "/b.yaml"])
    }
}
