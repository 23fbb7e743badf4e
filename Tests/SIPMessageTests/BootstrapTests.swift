import Logging
import Synchronization
import Testing
@testable import SIPMessage

/// Records log lines, to see libosip2's trace arrive through swift-log.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.withLock { $0.append("\(event.message)") } }
}

@Suite(.serialized) struct BootstrapTests {
    @Test func libosip2TraceGoesToSwiftLog() throws {
        _ = Fixtures.bootstrap
        let handler = CapturingLogHandler()
        SIPMessageParser.bootstrap(logger: Logger(label: "capture") { _ in handler })
        defer {
            var quiet = Logger(label: "sip.test.osip")
            quiet.logLevel = .critical
            SIPMessageParser.bootstrap(logger: quiet)
        }
        // Passes our checks, but libosip2 cannot read the Via.
        let bytes = Array("OPTIONS sip:a@example.com SIP/2.0\r\nVia: not a via at all\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n".utf8)
        let e = try #require(SIPMessageParser.parse(bytes).error)
        #expect(e.status == 400)
        #expect(handler.lines.withLock { $0.contains { $0.hasPrefix("libosip2: ") } })
    }

    @Test func concurrentParsesAgree() async throws {
        _ = Fixtures.bootstrap
        let names = try Fixtures.names("rfc4475")
        let inputs = try names.map { try Fixtures.bytes("rfc4475", $0) }
        let expected = inputs.map { SIPMessageParser.parse($0) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for t in 0..<4 {
                group.addTask {
                    var same = true
                    for round in 0..<5 {
                        for (i, b) in inputs.enumerated() where (i + t + round) % 2 == 0 {
                            same = same && SIPMessageParser.parse(b) == expected[i]
                        }
                    }
                    return same
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    @Test func sliceAndRawOverloads() {
        let bytes = Samples.invite.serialize()
        let padded = [0xFF] + bytes + [0xFF]
        #expect(SIPMessageParser.parse(padded[1..<(padded.count - 1)]).request == Samples.invite)
        bytes.withUnsafeBytes { raw in
            #expect(SIPMessageParser.parse(raw).request == Samples.invite)
        }
    }
}
