import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Call endings and limits through the real daemon: caller CANCEL, callee BYE, maximum
/// duration, overload.
@Suite(.serialized) struct CallLifecycleTests {
    @Test func callerCancelCancelsEveryRingingLegAndGets487() throws {
        let call = try CallFixture(callees: [
            .callee("callee-ring-cancelled.xml", calls: 2),
            .callee("callee-ring-cancelled.xml", calls: 2),
        ])
        defer { call.stop() }
        let (a, b) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(a.port)", "sip:b@127.0.0.1:\(b.port)", timeout: "20s"))
        let caller = try SIPpRun.caller("caller-cancel.xml", daemon: daemon, calls: 2, rate: 2).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(finalStatuses(caller) == [200, 487, 200, 487])  // 200 for each CANCEL, 487 for each INVITE
        for callee in [a, b] {
            let run = try callee.wait()
            #expect(run.successfulCalls == 2, "\(run.output.suffix(800))")
            #expect(tracedMessages(run.messages, startingWith: "CANCEL ").count == 2)
        }
    }

    @Test func calleeHangingUpSendsByeToTheCaller() throws {
        var calleeRun = SIPpRun.callee("callee-answer-hangup.xml", calls: 3, keys: ["ring": "300"])
        calleeRun.traceMessages = true
        let call = try CallFixture(callees: [calleeRun])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"))
        let caller = try SIPpRun.caller("caller-wait-bye.xml", daemon: daemon, calls: 3, rate: 3).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(caller.successfulCalls == 3)
        #expect(try callee.wait().successfulCalls == 3)
        // The BYE the caller got is in its own dialog: its Call-ID, our tag as From tag.
        for bye in tracedMessages(caller.messages, startingWith: "BYE ") {
            #expect(header("Call-ID", in: bye)?.hasSuffix("@127.0.0.1") == true)
            #expect(header("To", in: bye)?.contains("sip:+14155550123@") == true)
        }
    }

    @Test func maximumCallDurationEndsForgottenCallsBothWays() throws {
        // A callee that never hangs up (it waits for our BYE), a caller that waits for ours too.
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"),
                                          config: "calls: { max-duration: 2s }\n")
        let start = Date()
        let caller = try SIPpRun.caller("caller-wait-bye.xml", daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(Date().timeIntervalSince(start) >= 1.9)
        #expect(try callee.wait().successfulCalls == 1, "the callee got no BYE")
        #expect(daemon.log().contains("maximum call duration reached"))
    }

    @Test func overloadGets503WithRetryAfterNeverSilence() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "3000"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"),
                                          config: "calls: { max-concurrent: 1, retry-after: 7s }\n")
        let first = try SIPpRun.caller(daemon: daemon, calls: 1).start()
        defer { first.stop() }
        usleep(500_000)
        let second = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
        #expect(finalStatuses(second) == [503])
        let refusal = tracedMessages(second.messages, startingWith: "SIP/2.0 503")
        #expect(refusal.first.flatMap { header("Retry-After", in: $0) } == "7")
        #expect(try first.wait().successfulCalls == 1, "the call in progress suffered")
    }
}

/// In-dialog requests relayed between the bridged legs, both ways.
@Suite(.serialized) struct DialogRelayTests {
    @Test func reInviteInfoAndUpdateAreRelayedBothWaysWithEachLegsOwnDialog() throws {
        let call = try CallFixture(callees: [.callee("callee-dialog.xml", calls: 2)])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"))
        let caller = try SIPpRun.caller("caller-dialog.xml", daemon: daemon, calls: 2, rate: 2).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(2000))")
        #expect(caller.successfulCalls == 2)
        let calleeRun = try callee.wait()
        #expect(calleeRun.successfulCalls == 2, "callee:\n\(calleeRun.output.suffix(2000))")
        // Every request the callee got carries the callee leg's Call-ID, never the caller's,
        // and CSeq numbers of its own dialog (1 INVITE, 2 re-INVITE, 3 INFO, 4 BYE).
        let callerIDs = Set(tracedMessages(caller.messages, startingWith: "INVITE ").compactMap { header("Call-ID", in: $0) })
        let calleeRequests = ["INVITE ", "INFO ", "BYE "].flatMap { tracedMessages(calleeRun.messages, startingWith: $0, received: true) }
        #expect(calleeRequests.count == 8)
        for request in calleeRequests {
            #expect(!callerIDs.contains(header("Call-ID", in: request) ?? ""))
        }
        let cseqs = tracedMessages(calleeRun.messages, startingWith: "INFO ").compactMap { header("CSeq", in: $0) }
        #expect(cseqs == ["3 INFO", "3 INFO"])
        // The caller got the callee's re-INVITE and UPDATE in the caller's own dialog.
        let towardsCaller = ["INVITE ", "UPDATE "].flatMap { tracedMessages(caller.messages, startingWith: $0, received: true) }
        #expect(towardsCaller.count == 4)
        for request in towardsCaller {
            #expect(callerIDs.contains(header("Call-ID", in: request) ?? ""))
        }
        // Our own CSeq space towards the caller: the relayed re-INVITE is 1, the UPDATE 2.
        #expect(Set(towardsCaller.compactMap { header("CSeq", in: $0) }) == ["1 INVITE", "2 UPDATE"])

    }
}
