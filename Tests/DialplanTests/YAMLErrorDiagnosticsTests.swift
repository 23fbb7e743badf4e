import Foundation
import Testing
@testable import Dialplan

/// Where a duplicated key is written: ASCII lines are searched byte by byte, the rest by
/// Foundation as before. The places must be those of the search per line and form it did.
@Suite struct YAMLErrorDiagnosticsTests {
    /// The search as it was (Foundation's `range(of:)` for each form on every line).
    static func model(ofKey key: String, in text: String) -> [(line: Int, column: Int)] {
        var result: [(Int, Int)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for form in ["\"\(key)\":", "'\(key)':", "\(key):"] {
                if let range = line.range(of: form) {
                    result.append((number + 1, line[..<range.lowerBound].unicodeScalars.count + 1))
                    break
                }
            }
        }
        return result
    }

    static func same(_ a: [(line: Int, column: Int)], _ b: [(line: Int, column: Int)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.line == $1.line && $0.column == $1.column }
    }

    @Test func placesAreTheModelsOnTheSampleDialplansAndTheirKeys() throws {
        let dir = repositoryRoot + "/Dialplans"
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            // Every word before a colon is a key somewhere; also quoted, with a space, absent.
            var keys = Set<String>(["main", "plan", "x", "+13125550100", "no such key", "é", ""])
            for line in text.split(separator: "\n") {
                if let colon = line.firstIndex(of: ":") { keys.insert(line[..<colon].trimmingCharacters(in: .whitespaces)) }
            }
            for key in keys {
                #expect(Self.same(YAMLErrorDiagnostics.occurrences(ofKey: key, in: text), Self.model(ofKey: key, in: text)), "\(name): \(key)")
                compared += 1
            }
        }
        #expect(compared > 50)
    }

    @Test func nonASCIIKeysAndLinesGoThroughFoundation() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let text = "a: 1\n\(composed): 2\n  '\(decomposed)': 3\n\"x\u{2028}y\": 4\nplain: é\n  ✓ x: 5\n\r\nx: 6\r\nlast:"
        for key in [composed, decomposed, "x", "plain", "last", "✓ x", "a", "y\""] {
            #expect(Self.same(YAMLErrorDiagnostics.occurrences(ofKey: key, in: text), Self.model(ofKey: key, in: text)), "\(key)")
        }
        // Canonically equivalent spellings find each other, as Foundation's search does.
        #expect(YAMLErrorDiagnostics.occurrences(ofKey: decomposed, in: text).map(\.line) == [2, 3])
        #expect(YAMLErrorDiagnostics.occurrences(ofKey: "plain", in: text).map(\.column) == [1])
    }

    @Test func byteSearch() {
        #expect(YAMLErrorDiagnostics.firstOffset(of: Array("ab:".utf8), in: Array("xxab:ab:".utf8)) == 2)
        #expect(YAMLErrorDiagnostics.firstOffset(of: Array("ab:".utf8), in: Array("ab".utf8)) == nil)
        #expect(YAMLErrorDiagnostics.firstOffset(of: Array("aab:".utf8), in: Array("aaab:".utf8)) == 1)
        #expect(YAMLErrorDiagnostics.firstOffset(of: [], in: Array("a".utf8)) == 0)
    }
}
