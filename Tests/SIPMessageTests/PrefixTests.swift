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
