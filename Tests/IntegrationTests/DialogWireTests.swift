import Foundation
import SIPTestKit
import Testing

/// RFC 3261 dialogs toward a carrier on the wire (issue 12, item 3): SIPp as a carrier
/// behind a record-routing proxy, with its odd-but-valid header formatting; the scenario's
/// regexp checks fail the call when a response or our BYE breaks a rule.
@Suite(.serialized) struct DialogWireTests {
    @Test func responsesCopyTheCarriersTextAndRecordRouteAndOurByeFollowsTheRouteSet() throws {
        let callee = try SIPpRun.callee("callee-answer-hangup.xml", calls: 2, keys: ["ring": "200"]).start()
        defer { callee.stop() }
        let plan = try TestDialplan(plans: """
          main:
            ring-all: { targets: ["sip:desk@127.0.0.1:\(callee.port)"], timeout: 10s }

        """)
        defer { plan.remove() }
        let daemon = try DaemonProcess(dialplans: plan.directory.path)
        defer { daemon.stop() }
        let caller = try SIPpRun.caller("caller-record-route.xml", daemon: daemon, calls: 2, rate: 2, timeout: 20).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(2500))")
        #expect(caller.successfulCalls == 2)
        let calleeRun = try callee.wait()
        #expect(calleeRun.successfulCalls == 2, "callee:\n\(calleeRun.output.suffix(1500))")
        // Identity (RFC 8224) and Date went on to the callee unchanged.
        let invites = tracedMessages(calleeRun.messages, startingWith: "INVITE ")
        #expect(invites.count == 2)
        for invite in invites {
            #expect(header("Identity", in: invite)?.hasSuffix(".e30.c2ln;info=<https://cert.example/sp.pem>;alg=ES256;ppt=shaken") == true,
                    "\(invite)")
            #expect(header("Date", in: invite) == "Tue, 01 Dec 2026 21:00:00 GMT")
        }
    }
}
