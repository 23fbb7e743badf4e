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
}
