import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// The B2BUA end to end: the real switchboardd between SIPp callers and SIPp callees on loopback.
@Suite(.serialized) struct CallEngineTests {
    @Test func singleTargetIsBridgedWithTheCalleesSDPAndHungUp() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 5, keys: ["ring": "100"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(callee.port)"))
        let caller = try SIPpRun.caller(daemon: daemon, calls: 5, rate: 5).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(caller.successfulCalls == 5)
        let callee_ = try callee.wait()
        #expect(callee_.successfulCalls == 5, "callee:\n\(callee_.output.suffix(1500))")
        // The receiving phone saw the caller's number (caller-id: caller) and a Diversion
        // naming the tracking number (RFC 5806); its INVITE was our own dialog, not the carrier's.
        let invites = tracedMessages(callee_.messages, startingWith: "INVITE ")
        #expect(invites.count == 5)
        for invite in invites {
            #expect(header("From", in: invite)?.contains("sip:+14155550123@") == true, "\(invite)")
            #expect(header("Diversion", in: invite)?.contains("+13125550100") == true)
            #expect(header("Call-ID", in: invite)?.contains("@127.0.0.1") == true)
        }
        let callerIDs = Set(tracedMessages(caller.messages, startingWith: "INVITE ").compactMap { header("Call-ID", in: $0) })
        let calleeIDs = Set(invites.compactMap { header("Call-ID", in: $0) })
        #expect(callerIDs.isDisjoint(with: calleeIDs))
    }

    @Test func ringAllFirstAnswerWinsAndTheOtherLegIsCancelledWithReason() throws {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 3, keys: ["ring": "300"]),
            .callee("callee-ring-cancelled.xml", calls: 3),
        ])
        defer { call.stop() }
        let (fast, slow) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(fast.port)", "sip:b@127.0.0.1:\(slow.port)"))
        let caller = try SIPpRun.caller(daemon: daemon, calls: 3, rate: 3).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(try fast.wait().successfulCalls == 3)
        let cancelled = try slow.wait()
        #expect(cancelled.successfulCalls == 3, "\(cancelled.output.suffix(1500))")
        let cancels = tracedMessages(cancelled.messages, startingWith: "CANCEL ")
        #expect(cancels.count == 3)
        for cancel in cancels {
            #expect(header("Reason", in: cancel) == "SIP;cause=200;text=\"Call completed elsewhere\"")
        }
        // The caller heard exactly one 180 per call although two legs rang.
        let ringing = tracedMessages(caller.messages, startingWith: "SIP/2.0 180")
        #expect(ringing.count == 3)
    }

    @Test func sequentialMovesOnAtOnceFromABusyTarget() throws {
        let call = try CallFixture(callees: [
            .callee("callee-reject-486.xml", calls: 2),
            .callee("callee-answer.xml", calls: 2, keys: ["ring": "50"]),
        ])
        defer { call.stop() }
        let (busy, answer) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: """
          main:
            sequential:
              steps:
                - { target: "sip:first@127.0.0.1:\(busy.port)", timeout: 10m }
                - { target: "sip:second@127.0.0.1:\(answer.port)", timeout: 10m }

        """)
        // The first step's timer is 10 minutes, far beyond the caller's own bound: the calls
        // complete only if the 486 moves the plan on at once (no wall-clock assertion).
        let caller = try SIPpRun.caller(daemon: daemon, calls: 2, rate: 2).run()
        #expect(caller.status == 0, "busy did not move on at once; caller:\n\(caller.output.suffix(1500))")
        #expect(caller.successfulCalls == 2)
        #expect(try busy.wait().successfulCalls == 2)
        #expect(try answer.wait().successfulCalls == 2)
    }

    @Test func whenEveryLegFailsThenPlanRunsAndLastResortIsBusy() throws {
        let call = try CallFixture(callees: [
            .callee("callee-reject-486.xml", calls: 1),
            .callee("callee-reject-480.xml", calls: 1),
        ])
        defer { call.stop() }
        let (busy, declined) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: """
          main:
            ring-all: { targets: ["sip:a@127.0.0.1:\(busy.port)"], timeout: 10s }
            then: backup
          backup:
            sequential:
              steps:
                - { target: "sip:b@127.0.0.1:\(declined.port)", timeout: 10s }

        """)
        let caller = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(finalStatuses(caller) == [486])
        #expect(try busy.wait().successfulCalls == 1)
        #expect(try declined.wait().successfulCalls == 1, "the then: plan did not run")
    }

    @Test func unansweredLegsAreCancelledAtTheirTimeoutAndTheCallerGets480() throws {
        let call = try CallFixture(callees: [.callee("callee-ring-cancelled.xml", calls: 1)])
        defer { call.stop() }
        let ringing = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(ringing.port)", timeout: "2s"))
        let caller = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(finalStatuses(caller) == [480])
        let callee = try ringing.wait()
        #expect(callee.successfulCalls == 1)
        #expect(tracedMessages(callee.messages, startingWith: "CANCEL ").count == 1)
    }

    @Test func unknownNumberGets404() throws {
        let call = try CallFixture()
        defer { call.stop() }
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:9", timeout: "2s"))
        let caller = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, number: "+13125550199", calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(finalStatuses(caller) == [404])
    }
}

/// Late offer, trunks and caller-ID policy.
@Suite(.serialized) struct CallEngineSignallingTests {
    @Test func lateOfferInviteGetsTheCalleesOfferAndTheAckCarriesTheAnswerEndToEnd() throws {
        let call = try CallFixture(callees: [.callee("callee-late-offer.xml", calls: 2, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(callee.port)"))
        let caller = try SIPpRun.caller("caller-late-offer.xml", daemon: daemon, calls: 2, rate: 2).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        let run = try callee.wait()
        #expect(run.successfulCalls == 2, "callee:\n\(run.output.suffix(1500))")
        for invite in tracedMessages(run.messages, startingWith: "INVITE ", received: true) {
            #expect(header("Content-Length", in: invite) == "0")
        }
    }

    @Test func telTargetsGoThroughTheTrunkWithHistoryInfoAndTheTrackingNumberAsCallerID() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let trunk = call.callees[0]
        try call.writeDialplan(plans: TestDialplan.ringAll("tel:+14155550199"), callerID: "tracking-number")
        let daemon = try call.startDaemon(config: """
        trunks:
          - { name: carrier-a, host: 127.0.0.1, port: \(trunk.port), prefixes: ["+1"], forwarding: history-info }
          - { name: carrier-uk, host: 127.0.0.1, port: 9, prefixes: ["+44"] }

        """)
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        let run = try trunk.wait()
        #expect(run.successfulCalls == 1)
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:+14155550199@127.0.0.1:\(trunk.port);user=phone SIP/2.0"))
        #expect(header("From", in: invite)?.contains("sip:+13125550100@") == true, "caller ID is the tracking number")
        #expect(header("History-Info", in: invite)?.contains("+13125550100") == true)
        #expect(header("Diversion", in: invite) == nil)
    }

    @Test func aTargetWithoutTrunkIsNeverDialledAndTheCallerGets480() throws {
        let call = try CallFixture()
        defer { call.stop() }
        try call.writeDialplan(plans: TestDialplan.ringAll("tel:+442079460000"))
        // Only a +1 trunk: the UK number has no route out, so nothing is sent anywhere.
        let daemon = try call.startDaemon(config: """
        trunks:
          - { name: carrier-a, host: 127.0.0.1, port: 9, prefixes: ["+1"] }

        """)
        let caller = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
        #expect(finalStatuses(caller) == [480])
        #expect(daemon.log().contains("target cannot be dialled"))
    }
}

@Suite(.serialized) struct TargetHostNameTests {
    @Test func sipTargetsWithHostNamesAreResolvedOffTheLoopAndRung() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@localhost:\(callee.port)", "sip:nobody@does-not-exist.invalid"))
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        let run = try callee.wait()
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:desk@localhost:\(callee.port) SIP/2.0"))
        #expect(daemon.log().contains("target host does not resolve"))
    }
}
