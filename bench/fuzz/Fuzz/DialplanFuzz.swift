import Dialplan
import Foundation

/// One YAML file through the dialplan loader, as `switchboard check` loads it but handed over
/// in memory (`DialplanLoader.load(files:directory:)`: the same parse and checks, no file
/// written or read per input but the prompts a plan names). It must never crash, and every
/// diagnostic must name the file and a place inside it (line 0 col 0 only for whole-file
/// problems), or an admin's editor cannot jump to it.
enum DialplanFuzz {
    nonisolated(unsafe) static var directory = ""
    static var file: String { directory + "/fuzz.yaml" }

    static func setUp() {
        directory = NSTemporaryDirectory() + "/switchboard-fuzz-dialplan-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Real prompts, so plans that name them reach the WAV checks.
        if let prompts = ProcessInfo.processInfo.environment["FUZZ_PROMPTS"] {
            try? FileManager.default.createSymbolicLink(atPath: directory + "/prompts", withDestinationPath: prompts)
        }
    }

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let result = DialplanLoader.load(files: [.init(path: file, contents: Array(bytes))], directory: directory)
        if result.table != nil && result.diagnostics.hasErrors { finding("a table despite errors") }
        guard !result.diagnostics.isEmpty else { return }
        // Bounds: YAML counts CR, LF, CRLF, NEL, LS and PS as line breaks; columns count characters.
        // One pass over the text for both counts (a String's scalar count is itself a walk,
        // and it was taken once per diagnostic).
        var breaks = 0, characters = 0
        for s in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            characters += 1
            switch s.value {
            case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: breaks += 1
            default: break
            }
        }
        for d in result.diagnostics {
            if d.path != file { finding("diagnostic for another path: \(d)") }
            if d.line == 0 && d.column == 0 { continue }
            if d.line < 1 || d.line > breaks + 1 || d.column < 1 || d.column > characters + 1 {
                finding("diagnostic outside the file (\(breaks + 1) lines, \(characters) characters): \(d)")
            }
        }
    }
}
