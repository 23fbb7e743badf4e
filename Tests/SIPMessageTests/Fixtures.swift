import Foundation
import Logging
@testable import SIPMessage

/// The torture fixtures, copied byte-exact into Tests/Fixtures and located from this file.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func directory(_ set: String) -> URL { root.appendingPathComponent(set) }

    static func bytes(_ set: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory(set).appendingPathComponent(name)))
    }

    /// File names listed in the set's SHA256SUMS, in order.
    static func names(_ set: String) throws -> [String] {
        let sums = try String(contentsOf: directory(set).appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        return sums.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map { String($0.drop { $0 == "*" }) }
        }
    }

    /// Runs `sha256sum -c SHA256SUMS` in the set's directory; returns the number of OK lines
    /// and the exit status.
    static func verifyChecksums(_ set: String) throws -> (ok: Int, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = ["-c", "SHA256SUMS"]
        p.currentDirectoryURL = directory(set)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: out, as: UTF8.self)
        return (text.split(separator: "\n").filter { $0.hasSuffix(": OK") }.count, p.terminationStatus)
    }

    /// Parse after a one-time bootstrap.
    static func parse(_ bytes: [UInt8], limits: SIPLimits = SIPLimits(),
                      framing: SIPFraming = .datagram) -> Result<SIPMessage, SIPParseError> {
        _ = bootstrap
        return SIPMessageParser.parse(bytes, limits: limits, framing: framing)
    }

    static let bootstrap: Void = {
        var logger = Logger(label: "sip.test.osip")
        logger.logLevel = .critical
        SIPMessageParser.bootstrap(logger: logger)
    }()
}

extension Result where Success == SIPMessage, Failure == SIPParseError {
    var request: SIPRequest? { if case .success(.request(let r)) = self { return r } else { return nil } }
    var response: SIPResponse? { if case .success(.response(let r)) = self { return r } else { return nil } }
    var error: SIPParseError? { if case .failure(let e) = self { return e } else { return nil } }
}
