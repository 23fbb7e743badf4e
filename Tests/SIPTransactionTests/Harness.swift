import SIPMessage
import SIPTestKit
@testable import SIPTransaction

/// A layer wired to a fake clock, a recording transport and a recording TU.
final class Harness {
    let clock = FakeClock()
    let transport: RecordingTransport
    let user = RecordingTransactionUser()
    let layer: TransactionLayer

    init(configuration: TransactionLayer.Configuration = .init()) {
        transport = RecordingTransport(clock: clock)
        layer = TransactionLayer(transport: transport, clock: clock, configuration: configuration)
        layer.user = user
    }
}

func ms(_ value: Int) -> Duration { .milliseconds(value) }
func s(_ value: Int) -> Duration { .seconds(value) }

extension Array where Element == TransactionAction {
    var sentMessages: [SIPMessage] {
        compactMap { if case .send(let m) = $0 { return m } else { return nil } }
    }
    var startedTimers: [TransactionTimer: Duration] {
        var result: [TransactionTimer: Duration] = [:]
        for case .startTimer(let t, let d) in self { result[t] = d }
        return result
    }
    var cancelledTimers: Set<TransactionTimer> {
        var result: Set<TransactionTimer> = []
        for case .cancelTimer(let t) in self { result.insert(t) }
        return result
    }
    var terminates: Bool { contains(.terminated) }
}

extension SIPMessage {
    var request: SIPRequest? { if case .request(let r) = self { return r } else { return nil } }
    var response: SIPResponse? { if case .response(let r) = self { return r } else { return nil } }
}
