import AdminAPI
import Foundation
@testable import CallEngine
import SwitchboardOperations
import Testing

/// `GET /queues` and `switchboard queues` share one Codable document (issue 18 item 3).
@Suite struct QueueDocumentTests {
    let snapshot = QueueSnapshot(
        account: "acme", plan: "support", strategy: "longest-idle",
        waiting: [.init(callID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, position: 1,
                        caller: "+14155550123", waitedSeconds: 12.5, ringing: ["sip:bob@pbx.test"])],
        agents: [.init(target: "sip:bob@pbx.test", state: .wrapUp, callsTaken: 3)],
        offered: 4, answered: 3, timedOut: 0, abandoned: 1)

    @Test func callersAreMaskedWithoutTheTokenAndShownWithIt() throws {
        let masked = QueueStatus.document([snapshot], revealCallers: false)
        #expect(masked.queues[0].waiting[0].caller == "+1415•••••23")
        let shown = QueueStatus.document([snapshot], revealCallers: true)
        #expect(shown.queues[0].waiting[0].caller == "+14155550123")
    }

    @Test func theWireFormatIsSnakeCaseSortedAndOneLine() throws {
        let bytes = QueueStatus.json([snapshot], revealCallers: true)
        #expect(bytes.last == 0x0A)
        let text = String(decoding: bytes.dropLast(), as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix(#"{"queues":[{"abandoned":1,"account":"acme","agents":[{"calls_taken":3,"state":"wrap-up","target":"sip:"#), "\(text)")
        #expect(text.contains(#""timed_out":0"#) && text.contains(#""waited_seconds":12.5"#), "\(text)")
        // What the CLI reads back is what the daemon meant.
        let read = try AdminDocumentCoding.decode(QueueDocument.self, from: Data(bytes))
        #expect(read == QueueStatus.document([snapshot], revealCallers: true))
        #expect(read.queues[0].agents[0].state == "wrap-up")
    }

    @Test func banDocumentsRoundTrip() throws {
        let document = BanDocument(bans: [.init(address: "192.0.2.7", remainingSeconds: 299, droppedRequests: 12)])
        let bytes = AdminDocumentCoding.encode(document)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"bans":[{"address":"192.0.2.7","dropped_requests":12,"remaining_seconds":299}]}"#)
        #expect(try AdminDocumentCoding.decode(BanDocument.self, from: Data(bytes)) == document)
        #expect(String(decoding: AdminDocumentCoding.encode(BanDocument(bans: [])), as: UTF8.self) == #"{"bans":[]}"#)
    }
}
