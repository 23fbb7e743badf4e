import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// IVR plans end to end: the daemon answers the SIPp caller with its own SDP, plays the menu
/// over RTP, reads RFC 4733 keys (SIPp replaying Debian's DTMF captures) or SIP INFO, and
/// rings the chosen option's targets with its own offer, bridging the media.
@Suite(.serialized) struct IVRTests {
    /// Two options, each a SIPp callee; the one not chosen must never see an INVITE.
    func menu(_ extra: String = "", options: String = "{ \"1\": sales, \"2\": support }",
              sales: Int, support: Int, promptFile: String = "menu.wav") -> String {
        """
          main:
            ivr:
              prompt: prompts/\(promptFile)
              options: \(options)
              timeout: 2s
              attempts: 2
        \(extra)
          sales:
            ring-all: { targets: ["sip:sales@127.0.0.1:\(sales)"], timeout: 10s }
          support:
            ring-all: { targets: ["sip:support@127.0.0.1:\(support)"], timeout: 10s }

        """
    }

    func makePrompts(_ plan: TestDialplan, codes: [UInt8] = [UInt8](repeating: 0x55, count: 1600)) throws {
        let dir = plan.directory.appendingPathComponent("prompts")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeULawWAV(codes, to: dir.appendingPathComponent("menu.wav"))
        try writeULawWAV([UInt8](repeating: 0x22, count: 800), to: dir.appendingPathComponent("invalid.wav"))
    }

    func ivrCall(pressing steps: [CallerStep], extra: String = "", options: String = "{ \"1\": sales, \"2\": support }",
                 expectSales: Bool) throws -> (caller: SIPpRun.Result, chosen: SIPpRun.Result, other: SIPpRun.Result, log: String) {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ])
        defer { call.stop() }
        let (sales, support) = (call.callees[0], call.callees[1])
        let plan = try call.writeDialplan(plans: menu(extra, options: options, sales: sales.port, support: support.port))
        try makePrompts(plan)
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(300)] + steps + [.pause(1500)]).run()
        let chosen = try (expectSales ? sales : support).wait(timeout: 20)
        let other = (expectSales ? support : sales).stop()
        return (caller, chosen, other, daemon.log())
    }

    func expectBridgedWithOurOffer(_ chosen: SIPpRun.Result, _ other: SIPpRun.Result) {
        #expect(chosen.successfulCalls == 1, "chosen callee:\n\(chosen.output.suffix(1500))")
        let invites = tracedMessages(chosen.messages, startingWith: "INVITE ")
        #expect(invites.count == 1)
        // Media is anchored: the callee is offered the daemon's SDP, not the caller's.
        #expect(invites.first?.contains("s=switchboard") == true, "\(invites.first ?? "")")
        #expect(invites.first?.contains("o=caller") == false)
        #expect(tracedMessages(chosen.messages, startingWith: "BYE ").count == 1, "the caller's BYE did not reach the callee")
        #expect(tracedMessages(other.messages, startingWith: "INVITE ").isEmpty, "the other option rang")
    }

    @Test func rfc4733KeyTwoRingsSupport() throws {
        let r = try ivrCall(pressing: [.rtpDigit("2")], expectSales: false)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        #expect(r.caller.successfulCalls == 1)
        expectBridgedWithOurOffer(r.chosen, r.other)
        #expect(r.log.contains("digit=2"), "\(r.log.suffix(3000))")
    }

    @Test func rfc4733KeyOneRingsSales() throws {
        let r = try ivrCall(pressing: [.rtpDigit("1")], expectSales: true)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        expectBridgedWithOurOffer(r.chosen, r.other)
    }

    @Test func sipInfoKeyRingsSupport() throws {
        let r = try ivrCall(pressing: [.infoDigit("2")], expectSales: false)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        expectBridgedWithOurOffer(r.chosen, r.other)
    }

    @Test func invalidKeyThenValidKeyPlaysInvalidPromptAndRoutes() throws {
        let r = try ivrCall(pressing: [.rtpDigit("9"), .pause(300), .rtpDigit("1")],
                            extra: "      invalid-prompt: prompts/invalid.wav", expectSales: true)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        expectBridgedWithOurOffer(r.chosen, r.other)
        #expect(r.log.contains("no valid choice, menu again"))
    }

    @Test func noInputTakesTheDefaultAfterEveryAttempt() throws {
        let start = Date()
        // timeout 2s × 2 attempts (plus two 0.2 s prompts) before the default rings.
        let r = try ivrCall(pressing: [.pause(6000)], extra: "      default: support", expectSales: false)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        expectBridgedWithOurOffer(r.chosen, r.other)
        #expect(Date().timeIntervalSince(start) > 4)
        #expect(r.log.components(separatedBy: "IVR input timeout").count - 1 == 2, "\(r.log.suffix(3000))")
    }

    @Test func multiDigitOptionWithTerminator() throws {
        let r = try ivrCall(pressing: [.rtpDigit("1"), .rtpDigit("2"), .rtpDigit("#")],
                            extra: "      max-digits: 3\n      terminator: \"#\"",
                            options: "{ \"12\": support, \"1\": sales }", expectSales: false)
        #expect(r.caller.status == 0, "caller:\n\(r.caller.output.suffix(1500))\n\(r.log.suffix(3000))")
        expectBridgedWithOurOffer(r.chosen, r.other)
    }

    @Test func lateOfferInviteGetsOurOfferAndTheAckAnswers() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])])
        defer { call.stop() }
        let sales = call.callees[0]
        let plan = try call.writeDialplan(plans: menu(sales: sales.port, support: 9))
        try makePrompts(plan)
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(300), .infoDigit("1"), .pause(1500)], lateOffer: true).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        let ok = tracedMessages(caller.messages, startingWith: "SIP/2.0 200").first ?? ""
        #expect(ok.contains("m=audio") && ok.contains("telephone-event"), "our 200 carries an offer: \(ok)")
        #expect(try sales.wait(timeout: 20).successfulCalls == 1)
    }

    /// What the caller hears: the daemon's RTP to the caller's SDP address carries the prompt
    /// file's µ-law bytes unchanged, in order.
    @Test func promptAudioReachesTheCaller() throws {
        var generator = SystemRandomNumberGenerator()
        let codes = (0..<4000).map { _ in UInt8.random(in: 0x10...0x7E, using: &generator) }
        let capture = try RTPCapture()
        let call = try CallFixture()
        defer { call.stop() }
        let plan = try call.writeDialplan(plans: menu(sales: 9, support: 9))
        try makePrompts(plan, codes: codes)
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(1500)], mediaPort: capture.port).start()
        defer { _ = caller.stop() }
        let packets = capture.collect(deadline: Date().addingTimeInterval(8)) { packets in
            packets.filter { $0.pt == 0 }.count >= 60
        }
        let audio = packets.filter { $0.pt == 0 }.sorted { $0.seq &- packets[0].seq < $1.seq &- packets[0].seq }.flatMap(\.payload)
        #expect(packets.allSatisfy { $0.payload.count == 160 }, "20 ms G.711 packets")
        #expect(audio.contains(run: codes), "prompt bytes not found in \(audio.count) bytes of RTP\n\(daemon.log().suffix(2000))")
        let result = try caller.wait(timeout: 20)
        #expect(result.status == 0, "\(result.output.suffix(1500))")
    }

    @Test func callerHangingUpInTheMenuIsRecordedAsIVRAbandoned() throws {
        let call = try CallFixture()
        defer { call.stop() }
        let plan = try call.writeDialplan(plans: menu(sales: 9, support: 9))
        try makePrompts(plan)
        let daemon = try call.startDaemon(config: mediaConfig())
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(500)]).run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))")
        #expect(waitUntil(5) { daemon.log().contains("ivr-abandoned") }, "\(daemon.log().suffix(3000))")
    }

    @Test func silentCallerIsHungUpAtTheMediaTimeout() throws {
        let call = try CallFixture()
        defer { call.stop() }
        let plan = try call.writeDialplan(plans: menu(sales: 9, support: 9))
        try makePrompts(plan)
        let daemon = try call.startDaemon(config: mediaConfig(timeout: "2s"))
        // The caller sends no RTP and waits for our BYE.
        let scenario = try AnchoredCaller.scenarioAwaitingBye()
        var run = SIPpRun(scenario: scenario, target: "127.0.0.1:\(daemon.port)", calls: 1, rate: 1, timeoutSeconds: 20)
        run.extraArguments += ["-s", "+13125550100"]
        let start = Date()
        let caller = try run.run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(Date().timeIntervalSince(start) < 8)
        #expect(waitUntil(5) { daemon.log().contains("media-timeout") })
    }
}
