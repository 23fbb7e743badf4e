import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// The real switchboardd binary driven by SIPp over loopback.
@Suite(.serialized) struct DaemonBasicsTests {
    @Test func thousandOptionsAllAnswered200() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        for transport in ["u1", "t1"] {
            let run = try SIPpRun(scenario: SIPpRun.scenarioPath("options.xml"), target: "127.0.0.1:\(daemon.port)",
                                  calls: 1000, rate: 500, transport: transport, timeoutSeconds: 60).run()
            #expect(run.status == 0, "SIPp over \(transport) failed:\n\(run.output.suffix(2000))")
            #expect(run.successfulCalls == 1000, "\(transport): \(String(describing: run.successfulCalls)) successful")
            #expect(run.failedCalls == 0)
        }
        #expect(daemon.isRunning)
    }

    @Test func retransmittedInviteIsAnsweredFromTheTransactionAndRoutedOnce() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let calls = 20
        var sipp = SIPpRun(scenario: SIPpRun.scenarioPath("invite-retransmit.xml"), target: "127.0.0.1:\(daemon.port)",
                           calls: calls, rate: 20, timeoutSeconds: 60,
                           // -nr: SIPp would otherwise take the second (identical) 404 for a
                           // retransmission of the first and resend its INVITE for ever.
                           extraArguments: ["-nr"])
        sipp.traceMessages = true
        let run = try sipp.run()
        #expect(run.status == 0, "SIPp failed:\n\(run.output.suffix(2000))")
        #expect(run.successfulCalls == calls)
        // Both copies got a 404 with the same To tag: the second came from the transaction.
        var tagsByCall: [String: [String]] = [:]
        for block in run.messages.components(separatedBy: "----------------------------------------------- ") {
            guard block.contains("message received"), block.contains("SIP/2.0 404") else { continue }
            let lines = block.split(separator: "\r\n").flatMap { $0.split(separator: "\n") }
            guard let callID = lines.first(where: { $0.hasPrefix("Call-ID:") }),
                  let to = lines.first(where: { $0.hasPrefix("To:") }),
                  let tag = to.split(separator: "tag=").last else { continue }
            tagsByCall[String(callID), default: []].append(String(tag))
        }
        #expect(tagsByCall.count == calls)
        for (callID, tags) in tagsByCall {
            #expect(tags.count == 2 && Set(tags).count == 1, "\(callID): 404 To tags \(tags)")
        }
        // The transaction user logged each INVITE exactly once although SIPp sent two copies.
        let routed = daemon.log().split(separator: "\n").filter { $0.contains("no route for dialled number") }
        #expect(routed.count == calls, "INVITEs reached the TU \(routed.count) times for \(calls) calls")
    }

    @Test func sigtermStopsCleanly() throws {
        let daemon = try DaemonProcess()
        let status = daemon.stop()
        #expect(status == 0)
        #expect(daemon.log().contains("shutting down"))
    }
}
