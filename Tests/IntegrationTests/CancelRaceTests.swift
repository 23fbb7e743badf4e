import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// A callee's 200 OK crossing our CANCEL (RFC 3261 §9.1), end to end through the real daemon:
/// in ring-all and sequential (run by the call state machine) and in queue and IVR transfers
/// (the anchored code). Each time the late answer is ACKed and BYEd (the SIPp callee fails
/// without them) and the leg is recorded as what happened: answered, ended with 200, not a 487.
@Suite(.serialized) struct CancelRaceTests {
    static let lateScenario = "callee-answer-after-cancel.xml"

    func expectLateAnswerRecorded(_ log: String, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        // One "leg ended" line per leg; other metadata (e.g. `sip.shard`) may sit between keys.
        let ends = log.split(separator: "\n").filter { $0.contains("leg ended") && $0.contains("reason=\(reason) ") }
        #expect(ends.contains { $0.contains("status=200") }, "\(log.suffix(3000))", sourceLocation: sourceLocation)
        #expect(!ends.contains { $0.contains("status=487") }, "\(log.suffix(3000))", sourceLocation: sourceLocation)
        #expect(log.contains("answer not bridged: ACK and BYE") || log.contains("late answer dismissed with ACK and BYE"),
                sourceLocation: sourceLocation)
    }

    @Test func ringAllLoserAnswersAfterOurCancel() throws {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "300"]),
            .callee(Self.lateScenario, calls: 1),
        ])
        defer { call.stop() }
        let (fast, late) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(fast.port)", "sip:b@127.0.0.1:\(late.port)"))
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(try fast.wait().successfulCalls == 1)
        let answeredLate = try late.wait(timeout: 20)
        #expect(answeredLate.successfulCalls == 1, "no ACK and BYE for the late 200:\n\(answeredLate.output.suffix(1500))")
        expectLateAnswerRecorded(daemon.log(), reason: "answered-elsewhere")
    }

    @Test func sequentialStepAnswersAfterItsTimeoutCancel() throws {
        let call = try CallFixture(callees: [
            .callee(Self.lateScenario, calls: 1),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ])
        defer { call.stop() }
        let (late, next) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: """
          main:
            sequential:
              - { target: "sip:a@127.0.0.1:\(late.port)", timeout: 2s }
              - { target: "sip:b@127.0.0.1:\(next.port)", timeout: 10s }

        """)
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(try late.wait(timeout: 20).successfulCalls == 1)
        #expect(try next.wait(timeout: 20).successfulCalls == 1, "step 2 is bridged")
        expectLateAnswerRecorded(daemon.log(), reason: "no-answer")
    }

    @Test func queueAgentAnswersAfterOurCancel() throws {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "500"]),
            .callee(Self.lateScenario, calls: 1),
        ])
        defer { call.stop() }
        let (a, b) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: """
          main:
            queue:
              agents: ["sip:agent0@127.0.0.1:\(a.port)", "sip:agent1@127.0.0.1:\(b.port)"]
              strategy: ring-all
              max-wait: 30s
              agent-timeout: 10s
              wrap-up: 1s

        """, config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(2500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(try a.wait(timeout: 20).successfulCalls == 1)
        #expect(try b.wait(timeout: 20).successfulCalls == 1, "no ACK and BYE for the late 200")
        expectLateAnswerRecorded(daemon.log(), reason: "answered-elsewhere")
    }

    @Test func ivrTransferLegAnswersAfterOurCancel() throws {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "300"]),
            .callee(Self.lateScenario, calls: 1),
        ])
        defer { call.stop() }
        let (fast, late) = (call.callees[0], call.callees[1])
        let plan = try call.writeDialplan(plans: """
          main:
            ivr:
              prompt: prompts/menu.wav
              options: { "1": sales }
              timeout: 1s
              attempts: 1
              default: sales
          sales:
            ring-all: { targets: ["sip:a@127.0.0.1:\(fast.port)", "sip:b@127.0.0.1:\(late.port)"], timeout: 10s }

        """)
        let prompts = plan.directory.appendingPathComponent("prompts")
        try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
        try writeULawWAV([UInt8](repeating: 0x55, count: 800), to: prompts.appendingPathComponent("menu.wav"))
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(3500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(try fast.wait(timeout: 20).successfulCalls == 1)
        #expect(try late.wait(timeout: 20).successfulCalls == 1, "no ACK and BYE for the late 200")
        expectLateAnswerRecorded(daemon.log(), reason: "answered-elsewhere")
    }
}
