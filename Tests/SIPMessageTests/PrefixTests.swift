import SIPTestKit
import Testing
@testable import SIPMessage

/// Every prefix of every torture message (a stream cut at each byte) parses or fails, never traps.
@Suite struct PrefixTests {
    static let files: [(String, String)] = {
        let a = ((try? Fixtures.names("rfc4475")) ?? []).map { ("rfc4475", $0) }
        let b = ((try? Fixtures.names("rfc5118")) ?? []).map { ("rfc5118", $0) }
        return a + b
    }()

    @Test func setIsComplete() { #expect(Self.files.count == 61) }

    @Test(arguments: files.map { "\($0.0)/\($0.1)" })
    func everyPrefix(_ path: String) throws {
        let parts = path.split(separator: "/")
        let bytes = try Fixtures.bytes(String(parts[0]), String(parts[1]))
        var outcomes = 0
        for cut in 0...bytes.count {
            for framing in [SIPFraming.datagram, .stream] {
                switch Fixtures.parse(Array(bytes[0..<cut]), framing: framing) {
                case .success: outcomes += 1
                case .failure(let e):
                    #expect((100...699).contains(e.status))
                    _ = e.responseBytes(toTag: "t")
                    outcomes += 1
                }
            }
        }
        #expect(outcomes == 2 * (bytes.count + 1))
    }
}

/// Byte flips, insertions and deletions on every torture message: parse or fail, never trap,
/// and anything accepted serialises to something that parses again.
@Suite struct MutationTests {
    @Test(arguments: PrefixTests.files.map { "\($0.0)/\($0.1)" })
    func mutated(_ path: String) throws {
        let parts = path.split(separator: "/")
        let original = try Fixtures.bytes(String(parts[0]), String(parts[1]))
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: original.count &* 2654435761) ^ 0x4475)
        let interesting: [UInt8] = [0x00, 0x0D, 0x0A, 0x20, 0x22, 0x3C, 0x3E, 0x3B, 0x2C, 0x3A, 0x40, 0x5B, 0x5D, 0x5C, 0x3F, 0xFF]
        for _ in 0..<300 {
            var b = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[i] = interesting.randomElement(using: &rng) ?? 0
                case 1: b.insert(interesting.randomElement(using: &rng) ?? 0, at: i)
                default: b.remove(at: i)
                }
            }
            if case .success(let m) = Fixtures.parse(b) {
                let out = m.serialize()
                if let e = Fixtures.parse(out).error {
                    let field = e.reason.split(separator: ":").first.map(String.init) ?? ""
                    let lines = String(decoding: out, as: UTF8.self).split(separator: "\r\n").filter { $0.hasPrefix(field + ":") }
                    Issue.record("\(path): re-parse failed: \(e.reason) | out: \(lines.isEmpty ? [Substring(String(decoding: out, as: UTF8.self))] : lines) | in: \(String(decoding: b, as: UTF8.self))")
                }
            }
        }
    }
}
