import Dialplan
import Foundation
import Testing

/// Inputs the fuzzer (bench/fuzz, target `dialplan`) found, replayed through the loader.
@Suite struct DialplanFuzzRegressionTests {
    /// A zero-length file: Foundation's `FileManager.contents(atPath:)` leaked its 4 KB read
    /// buffer on it (LeakSanitizer). The loader now answers it from the file size; the leak
    /// itself only shows under the sanitizer (`bench/fuzz/run.sh dialplan`, corpus
    /// `regress-empty-file`), this checks the answer stayed the same.
    @Test func emptyFileIsOneDiagnosticAtItsStart() throws {
        let dir = NSTemporaryDirectory() + "/dialplan-fuzz-regress-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/empty.yaml", contents: Data())
        let result = DialplanLoader.load(directory: dir)
        #expect(result.table == nil)
        #expect(result.diagnostics.map(\.description) == ["\(dir)/empty.yaml:1:1: error: file is empty"])
    }

    /// A flow sequence left open on the last line, with no final newline: libyaml reports the
    /// error at the end of the stream, which it puts on a line past the last (4:1 in a
    /// 3-line file). The diagnostic now points at the end of the last line.
    @Test func errorAtEndOfFileWithoutNewlineStaysInsideTheFile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/fuzz/corpus/dialplan/regress-error-at-end-without-newline")
        let dir = NSTemporaryDirectory() + "/dialplan-fuzz-regress-eof-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = try Data(contentsOf: url)
        FileManager.default.createFile(atPath: dir + "/plan.yaml", contents: bytes)
        let result = DialplanLoader.load(directory: dir)
        let lastLine = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).last!
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.line == 3)
        #expect(result.diagnostics.first?.column == lastLine.unicodeScalars.count + 1)
        #expect(result.diagnostics.first?.message.hasPrefix("YAML syntax: did not find expected ',' or ']'") == true)
    }

    /// A file that is only a document marker (`---`, `--- # note`) with no final newline:
    /// libyaml marks the document's empty value at the end of the stream, a line past the
    /// last, so "must be a mapping" pointed at 2:1 of a one-line file (found 2026-12-03 after
    /// 147,956 executions). Marks past the end now point at the end of the last line; with
    /// a final newline the place is the line after it, inside the file, as before.
    @Test func documentMarkerWithoutNewlineIsReportedOnItsLine() throws {
        for (text, place) in [("---", (1, 4)), ("--- # c", (1, 8)), ("--- ", (1, 5)), ("---\n", (2, 1))] {
            let result = DialplanLoader.load(files: [.init(path: "p.yaml", contents: Array(text.utf8))], directory: NSTemporaryDirectory())
            let lines = result.diagnostics.map { "\($0.line):\($0.column) \($0.message)" }
            #expect(result.table == nil)
            #expect(result.diagnostics.allSatisfy { $0.line == place.0 && $0.column == place.1 }, "\(text.debugDescription): \(lines)")
            #expect(!result.diagnostics.isEmpty)
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/fuzz/corpus/dialplan/regress-document-marker-without-newline")
        let found = try Data(contentsOf: url)
        let result = DialplanLoader.load(files: [.init(path: "p.yaml", contents: Array(found))], directory: NSTemporaryDirectory())
        #expect(result.diagnostics.map(\.description) == ["p.yaml:1:4: error: the account file must be a mapping"])
    }
}
