import Yams

/// Turns Yams errors into `file:line:col` diagnostics.
enum YAMLErrorDiagnostics {
    static func diagnostics(for error: YamlError, path: String, text: String) -> [Diagnostic] {
        func at(_ mark: Mark, _ message: String) -> [Diagnostic] {
            let (line, column) = inside(text, line: mark.line, column: mark.column)
            return [Diagnostic(path: path, line: line, column: column, severity: .error, message: "YAML syntax: " + message)]
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return at(mark, problem + (context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""))
        case .duplicatedKeysInMapping(let duplicates, _):
            // Yams reports only one mark; name every place the key is written,
            // since a duplicated tracking number is a number claimed twice.
            return duplicates.flatMap { key in
                let places = occurrences(ofKey: key, in: text)
                return places.enumerated().map { index, place in
                    let others = places.enumerated().filter { $0.offset != index }.map { "\(path):\($0.element.line):\($0.element.column)" }
                    return Diagnostic(path: path, line: place.line, column: place.column, severity: .error,
                                      message: "duplicate key '\(key)' (also at \(others.joined(separator: ", ")))")
                }
            }
        case .reader(let problem, let offset, _, _):
            return [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "YAML reader: \(problem) at byte \(offset ?? 0)")]
        default:
            return [Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "YAML: \(error)")]
        }
    }

    /// libyaml puts the end of the stream on a line of its own (it forces a line break at the
    /// end), one past the last line of a file without a final newline, where an editor cannot
    /// jump (found by bench/fuzz). Such a place becomes the end of the last line. Line breaks
    /// are counted as YAML counts them: CRLF, CR, LF, NEL, LS, PS.
    static func inside(_ text: String, line: Int, column: Int) -> (line: Int, column: Int) {
        clamp(line: line, column: column, to: end(of: text))
    }

    /// How many lines `text` has, as YAML counts them, and how many characters its last one has.
    static func end(of text: String) -> (lines: Int, lastLineLength: Int) {
        var lines = 1, lastLineLength = 0
        var previousCR = false
        for s in text.unicodeScalars {
            switch s.value {
            case 0x0A where previousCR: break
            case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: lines += 1; lastLineLength = 0
            default: lastLineLength += 1
            }
            previousCR = s.value == 0x0D
        }
        return (lines, lastLineLength)
    }

    /// A place past the last line of a text ending as `end` says becomes the end of its last line.
    static func clamp(line: Int, column: Int, to end: (lines: Int, lastLineLength: Int)) -> (line: Int, column: Int) {
        guard line > end.lines else { return (line, column) }
        return (end.lines, end.lastLineLength + 1)
    }

    /// Lines where `key` is written as a mapping key (plain or quoted).
    static func occurrences(ofKey key: String, in text: String) -> [(line: Int, column: Int)] {
        var result: [(Int, Int)] = []
        let forms = ["\"\(key)\":", "'\(key)':", "\(key):"]
        // ASCII against ASCII, Foundation's search (canonical equivalence) is a byte search,
        // and a column is a byte offset: that case, nearly every file's, skips Foundation.
        let asciiForms = key.utf8.allSatisfy { $0 < 0x80 } ? forms.map { Array($0.utf8) } : nil
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Every form ends in a colon, which nothing else is canonically equivalent to: a
            // line without one holds none (Foundation's search per form was most of the cost).
            guard line.utf8.contains(UInt8(ascii: ":")) else { continue }
            if let asciiForms, line.utf8.allSatisfy({ $0 < 0x80 }) {
                let bytes = Array(line.utf8)
                if let offset = asciiForms.lazy.compactMap({ firstOffset(of: $0, in: bytes) }).first {
                    result.append((number + 1, offset + 1))
                }
                continue
            }
            for form in forms {
                if let range = line.range(of: form) {
                    let column = line[..<range.lowerBound].unicodeScalars.count + 1
                    result.append((number + 1, column))
                    break
                }
            }
        }
        return result
    }

    /// Where `needle` first starts in `haystack`, byte for byte.
    static func firstOffset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        if needle.isEmpty { return 0 }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            var k = 1
            while k < needle.count, haystack[start + k] == needle[k] { k += 1 }
            if k == needle.count { return start }
        }
        return nil
    }
}
