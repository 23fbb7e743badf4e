import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Strangers cost nothing (issue 13): requests from outside `trusted-networks` that are not
/// part of one of our dialogs get one stateless 403 or silence, floods get banned, and the
/// trusted side keeps working. Loopback has all of 127.0.0.0/8: the tests trust 127.0.0.1
/// only and send from 127.0.0.2, .3, … as strangers.
@Suite(.serialized) struct EdgeTests {
    static let trustOne = "trusted-networks: [\"127.0.0.1/32\"]\n"
    /// Short timers: a 403 sent through a transaction would be retransmitted after 50, 100,
    /// 200 ms … (Timer G); none of that may happen.
    static let shortTimers = "timers: { t1: 50ms, t2: 400ms, t4: 500ms }\n"

    static func request(_ method: String, from host: String, port: Int, user: String = "+13125550100",
                        branch: String = "z9hG4bK\(UUID().uuidString.prefix(8))", callID: String = UUID().uuidString,
                        toTag: String? = nil) -> String {
        "\(method) sip:\(user)@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP \(host):\(port);branch=\(branch)\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:+15550001234@\(host)>;tag=scan\r\n"
            + "To: <sip:\(user)@127.0.0.1>\(toTag.map { ";tag=\($0)" } ?? "")\r\n"
            + "Call-ID: \(callID)\r\nCSeq: 1 \(method)\r\nContact: <sip:c@\(host):\(port)>\r\nContent-Length: 0\r\n\r\n"
    }

    @Test func untrustedInviteGetsExactlyOne403AndNoTransaction() throws {
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: Self.trustOne + Self.shortTimers
                                       + "server-header: Switchboard/test\nmetrics: 127.0.0.1:\(metricsPort)\n")
        defer { daemon.stop() }
        let client = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 1.5, localHost: "127.0.0.2")
        client.send(Self.request("INVITE", from: "127.0.0.2", port: client.localPort))
        // 1.5 s of quiet is 30 T1: Timer G would have resent the 403 five times by then.
        let bytes = client.receiveAll()
        #expect(RawSIPClient.statusCodes(in: bytes) == [403])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("SIP/2.0 403 Forbidden\r\n"))
        #expect(!text.contains("Server:"), "a stranger gets no banner:\n\(text)")
        #expect(text.contains("Call-ID:") && text.contains(";tag="))
        let (_, metrics) = try httpGet(port: metricsPort)
        #expect(sample(metrics, "switchboard_edge_requests_total{verdict=\"refused\"}") == 1)
        #expect(sample(metrics, "switchboard_sip_transactions_in_progress") == 0)
        // Nothing about it in the log either: strangers get a summary a minute, not a line each.
        #expect(!daemon.log().contains("request from untrusted source refused"))
    }

    @Test func untrustedDropModeAnswersNothingAndStrangersAckAndCancelAreDropped() throws {
        let daemon = try DaemonProcess(extraConfig: Self.trustOne + "security: { untrusted: drop }\n")
        defer { daemon.stop() }
        let client = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 1, localHost: "127.0.0.2")
        for method in ["INVITE", "OPTIONS", "REGISTER"] {
            client.send(Self.request(method, from: "127.0.0.2", port: client.localPort))
        }
        // Nor does a malformed request (it would get 400: SIP/9.9 is refused by the parser).
        client.send(Self.request("OPTIONS", from: "127.0.0.2", port: client.localPort).replacingOccurrences(of: "SIP/2.0\r\nVia", with: "SIP/9.9\r\nVia"))
        #expect(client.receiveAll().isEmpty)
        // The trusted source is still answered, malformed or not.
        let trusted = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 1, localHost: "127.0.0.1")
        trusted.send(Self.request("OPTIONS", from: "127.0.0.1", port: trusted.localPort).replacingOccurrences(of: "SIP/2.0\r\nVia", with: "SIP/9.9\r\nVia"))
        #expect(RawSIPClient.statusCodes(in: trusted.receiveAll()).first.map { $0 >= 400 } == true)

        // reject mode: still nothing for a stranger's CANCEL (it would get 481) or ACK.
        let reject = try DaemonProcess(extraConfig: Self.trustOne)
        defer { reject.stop() }
        let other = try RawSIPClient(.udp, port: reject.port, receiveTimeout: 1, localHost: "127.0.0.2")
        other.send(Self.request("CANCEL", from: "127.0.0.2", port: other.localPort))
        other.send(Self.request("ACK", from: "127.0.0.2", port: other.localPort, toTag: "guess"))
        #expect(other.receiveAll().isEmpty)
        // A stranger's BYE with a tag that is not one of ours is refused like anything else.
        other.send(Self.request("BYE", from: "127.0.0.2", port: other.localPort, toTag: "guess"))
        #expect(RawSIPClient.statusCodes(in: other.receiveAll()) == [403])
    }

    @Test func aFloodIsBannedCountedListedAndLiftedWhileTheTrustedSideWorks() throws {
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: Self.trustOne + "metrics: 127.0.0.1:\(metricsPort)\n")
        defer { daemon.stop() }
        let flooder = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 0.5, localHost: "127.0.0.3")
        for _ in 0..<100 { flooder.send(Self.request("OPTIONS", from: "127.0.0.3", port: flooder.localPort)) }
        let answered = RawSIPClient.statusCodes(in: flooder.receiveAll())
        // 16 in 2 s: the first 16 got their 403, the rest nothing.
        #expect(answered.count == 16 && Set(answered) == [403], "\(answered)")

        // Banned: silence, while the trusted source is answered as before.
        flooder.send(Self.request("OPTIONS", from: "127.0.0.3", port: flooder.localPort))
        #expect(flooder.receiveAll().isEmpty)
        let trusted = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 0.5, localHost: "127.0.0.1")
        trusted.send(Self.request("OPTIONS", from: "127.0.0.1", port: trusted.localPort, user: "x"))
        #expect(RawSIPClient.statusCodes(in: trusted.receiveAll()) == [200])

        let (_, metrics) = try httpGet(port: metricsPort)
        #expect(sample(metrics, "switchboard_edge_bans_total") == 1)
        #expect(sample(metrics, "switchboard_edge_bans_active") == 1)
        #expect(sample(metrics, "switchboard_edge_requests_total{verdict=\"refused\"}") == 16)
        #expect(sample(metrics, "switchboard_edge_requests_total{verdict=\"banned\"}") == 85)
        #expect(daemon.log().contains("source banned for flooding"))

        let list = try cli(["bans", "--metrics", "127.0.0.1:\(metricsPort)"])
        #expect(list.status == 0)
        #expect(list.output.hasPrefix("127.0.0.3  "), "\(list.output)")
        #expect(list.output.contains("85 requests dropped"))
        let lift = try cli(["bans", "--metrics", "127.0.0.1:\(metricsPort)", "--lift", "127.0.0.3"])
        #expect(lift.status == 0, "\(lift.output)")
        let again = try cli(["bans", "--metrics", "127.0.0.1:\(metricsPort)", "--lift", "127.0.0.3"])
        #expect(again.status != 0 && again.output.contains("127.0.0.3 is not banned"), "\(again.output)")
        #expect(try cli(["bans", "--metrics", "127.0.0.1:\(metricsPort)"]).output == "no source is banned\n")
        flooder.send(Self.request("OPTIONS", from: "127.0.0.3", port: flooder.localPort))
        #expect(RawSIPClient.statusCodes(in: flooder.receiveAll()) == [403])
    }

    @Test func trustedCallsCompleteDuringAFlood() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 20, keys: ["ring": "100"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"), config: Self.trustOne)
        let flooded = DispatchSemaphore(value: 0)
        let flood = Thread {
            defer { flooded.signal() }
            // Bounded: 4 sources × 1,000 junk requests, paced (about 2,000/s) so that the
            // kernel's socket buffer, not the daemon, is never what drops the trusted calls.
            for source in 2...5 {
                guard let c = try? RawSIPClient(.udp, port: daemon.port, receiveTimeout: 0.01, localHost: "127.0.0.\(source)") else { continue }
                for n in 0..<1_000 {
                    c.send(Self.request(n % 2 == 0 ? "INVITE" : "OPTIONS", from: "127.0.0.\(source)", port: c.localPort,
                                        user: "\(100 + n)"))
                    usleep(500)
                }
            }
        }
        flood.start()
        let caller = try SIPpRun.caller(daemon: daemon, calls: 20, rate: 10).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        #expect(caller.successfulCalls == 20)
        let calleeResult = try callee.wait()
        #expect(calleeResult.successfulCalls == 20, "callee:\n\(calleeResult.output.prefix(2000))")
        #expect(flooded.wait(timeout: .now() + 30) == .success)
        #expect(daemon.isRunning)
    }

    @Test func anUntrustedCalleeCanHangUpItsOwnDialog() throws {
        // The callee at 127.0.0.5 is not trusted: its BYE is let in because the dialog is ours
        // and was created toward that address.
        var calleeRun = SIPpRun.callee("callee-answer-hangup.xml", calls: 2, keys: ["ring": "200"])
        calleeRun.extraArguments += ["-i", "127.0.0.5"]
        let call = try CallFixture(callees: [calleeRun])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.5:\(callee.port)"), config: Self.trustOne)
        let caller = try SIPpRun.caller("caller-wait-bye.xml", daemon: daemon, calls: 2, rate: 2).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))")
        let calleeResult = try callee.wait()
        #expect(calleeResult.successfulCalls == 2, "\(calleeResult.output.suffix(1500))")
        let byeAnswers = tracedMessages(calleeResult.messages, startingWith: "SIP/2.0 200", received: true)
        #expect(!byeAnswers.isEmpty)
    }

    func cli(_ arguments: [String]) throws -> (status: Int32, output: String) { try CLITests().run(arguments) }
}
