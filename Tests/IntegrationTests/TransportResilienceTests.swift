import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 13, items 0 and 4, against the real daemon: one packet must not take SIP down
/// (a response routed to a destination the kernel refuses used to close the UDP listening
/// socket for good), and TCP holds (per-source cap, first-request timeout, slow drips,
/// connect failures that end a leg at once). The same for TLS listeners: TLSTransportTests.
@Suite(.serialized) struct TransportResilienceTests {
    static func request(_ method: String, via: String, callID: String, number: String = "+19995550100") -> String {
        let uri = method == "INVITE" ? "sip:\(number)@127.0.0.1" : "sip:127.0.0.1"
        return "\(method) \(uri) SIP/2.0\r\nVia: \(via)\r\nMax-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n"
            + "To: <\(uri)>\r\nCall-ID: \(callID)\r\nCSeq: 1 \(method)\r\nContact: <sip:t@127.0.0.1>\r\n"
            + "Content-Length: 0\r\n\r\n"
    }

    /// Vias without rport whose responses the kernel would refuse (port 0) or that name
    /// broadcast, multicast and unspecified addresses (the source address wins as
    /// `received`, RFC 3261 §18.2.1, but the port stays).
    static let badVias = [
        "SIP/2.0/UDP 127.0.0.1:0", "SIP/2.0/UDP 255.255.255.255:0", "SIP/2.0/UDP 224.0.0.1:0",
        "SIP/2.0/UDP 0.0.0.0:0", "SIP/2.0/UDP [::]:0", "SIP/2.0/UDP [::ffff:127.0.0.1]:0",
        "SIP/2.0/UDP 255.255.255.255", "SIP/2.0/UDP 224.0.0.1", "SIP/2.0/UDP [ff02::1]:5060",
    ]

    /// 10 OPTIONS from SIPp over `transport` ("u1" or "t1"), all answered.
    func assertSIPpOptions(_ daemon: DaemonProcess, transport: String) throws {
        let run = try SIPpRun(scenario: SIPpRun.scenarioPath("options.xml"), target: "127.0.0.1:\(daemon.port)",
                              calls: 10, rate: 50, transport: transport, timeoutSeconds: 20).run()
        #expect(run.status == 0, "SIPp OPTIONS over \(transport) failed:\n\(run.output.suffix(1500))")
        #expect(run.successfulCalls == 10, "\(transport): \(String(describing: run.successfulCalls)) answered")
    }

    /// A whole call (caller over `transport` → daemon → SIPp callee over UDP), answered.
    func assertCallWorks(_ daemon: DaemonProcess, callee: SIPpProcess, transport: String) throws {
        var caller = SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20)
        caller.transport = transport
        let run = try caller.run()
        #expect(run.status == 0, "call over \(transport) failed:\n\(run.output.suffix(1500))")
        #expect(run.successfulCalls == 1)
        #expect(try callee.wait().successfulCalls == 1)
    }

    /// One SIPp callee and a dialplan ringing it; the test starts the daemon.
    func callSetUp() throws -> CallFixture {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        do {
            try call.writeDialplan(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(call.callees[0].port)"))
        } catch {
            call.stop()
            throw error
        }
        return call
    }

    func metrics(_ port: Int) throws -> String {
        let (status, body) = try httpGet(port: port)
        #expect(status == 200)
        return body
    }

    @Test func badViaOverUDPFromTrustedAndUntrustedSourcesNeverClosesTheListener() throws {
        let metricsPort = FreePort.next()
        let call = try callSetUp()
        defer { call.stop() }
        let callee = call.callees[0]
        // Only 127.0.0.1 is trusted: 127.0.0.5 is a stranger (stateless 403 or silence).
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\ntrusted-networks: [\"127.0.0.1/32\"]\n")
        for source in ["127.0.0.1", "127.0.0.5"] {
            let client = try RawSIPClient(.udp, port: daemon.port, receiveTimeout: 0.05, localHost: source)
            for (i, via) in Self.badVias.enumerated() {
                for method in ["OPTIONS", "INVITE"] {
                    client.send(Self.request(method, via: "\(via);branch=z9hG4bKbad\(i)\(method)", callID: "bad-\(source)-\(i)-\(method)"))
                }
            }
            _ = client.receiveAll()
        }
        #expect(daemon.isRunning)
        try assertSIPpOptions(daemon, transport: "u1")
        try assertCallWorks(daemon, callee: callee, transport: "u1")
        let scrape = try metrics(metricsPort)
        #expect((sample(scrape, "switchboard_sip_destinations_refused_total{reason=\"invalid_port\"}") ?? 0) >= 6,
                "\(scrape.split(separator: "\n").filter { $0.contains("refused") })")
        #expect(sample(scrape, "switchboard_sip_listener_reopens_total") == 0, "a listener had to be reopened")
        #expect(sample(scrape, "switchboard_sip_listeners_down") == 0)
        try assertSIPpOptions(daemon, transport: "t1")
    }

    /// Over TCP a response goes back on the connection (§18.2.2); when the peer has reset it
    /// first, the response falls back to the Via, which here says UDP port 0: that path used
    /// to close the UDP listener from a TCP connection.
    @Test func badViaOverTCPAndResetsThenTCPAndUDPStillWork() throws {
        let metricsPort = FreePort.next()
        let call = try callSetUp()
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\n")
        for (i, via) in Self.badVias.enumerated() {
            for method in ["OPTIONS", "INVITE"] {
                let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
                client.send(Self.request(method, via: "\(via);branch=z9hG4bKtcp\(i)\(method)", callID: "tcp-\(i)-\(method)"))
                if i % 2 == 0 { client.reset() } else { _ = client.receiveAll() }
            }
            // A reset halfway through a message, too.
            let half = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
            half.send(String(Self.request("OPTIONS", via: "\(via);branch=z9hG4bKhalf\(i)", callID: "half-\(i)").prefix(80)))
            half.reset()
        }
        usleep(300_000)
        #expect(daemon.isRunning)
        try assertSIPpOptions(daemon, transport: "t1")
        try assertCallWorks(daemon, callee: callee, transport: "t1")
        try assertSIPpOptions(daemon, transport: "u1")
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_sip_listener_reopens_total") == 0)
        // SIPp's own connection of the last call closes as SIPp exits; the daemon counts it
        // out when it sees the FIN, which can come just after the scrape. A leaked connection
        // stays at 1 however long we wait.
        let drained = waitUntil(5) {
            (try? sample(metrics(metricsPort), "switchboard_tcp_connections{direction=\"inbound\"}")) == 0
        }
        #expect(drained, "connections leaked")
    }

    /// Destroys the daemon's TCP listening socket on `port` from outside (`ss -K`, sock_diag:
    /// needs CAP_NET_ADMIN and a kernel with INET_DIAG_DESTROY); NIO then closes the channel,
    /// as it closes a UDP channel after a fatal send errno. (Destroying the UDP socket the same
    /// way trips an `assert` in NIO's debug build, BaseSocketChannel.readable0, so the UDP
    /// rebind is covered by `SIPTransportListenerTests` instead.) Returns how many sockets it
    /// destroyed, 0 when `ss` could not.
    static func destroyTCPListener(port: Int) -> Int {
        let ss = Process()
        ss.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
        ss.arguments = ["-K", "-t", "state", "listening", "src", "127.0.0.1", "sport", "=", "\(port)"]
        let out = Pipe()
        ss.standardOutput = out
        ss.standardError = FileHandle.nullDevice
        guard (try? ss.run()) != nil else { return 0 }
        ss.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard ss.terminationStatus == 0 else { return 0 }
        return text.split(separator: "\n").filter { $0.contains("127.0.0.1:\(port)") }.count
    }

    static var canDestroySockets: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/ss")
    }

    /// A listener that closes under the daemon anyway is bound again on the same port, and
    /// `/metrics` and the sd_notify status say so.
    @Test(.enabled(if: canDestroySockets, "needs root and ss -K"))
    func listenerClosedFromOutsideIsReopenedAndReported() throws {
        let notify = try NotifyListener()
        defer { notify.stop() }
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(metricsPort)\n",
                                       environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.stop() }
        #expect(notify.waitFor { $0.contains("READY=1") } != nil)
        try assertSIPpOptions(daemon, transport: "t1")
        // Every TCP listener on the port is destroyed (one: TCP is accepted on the first SIP
        // loop whatever `sip.threads`), and each is reopened.
        let destroyed = Self.destroyTCPListener(port: daemon.port)
        try #require(destroyed > 0, "ss -K found no socket to destroy")
        var scrape = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            usleep(50_000)
            scrape = try metrics(metricsPort)
        } while sample(scrape, "switchboard_sip_listener_reopens_total") != Double(destroyed) && Date() < deadline
        #expect(sample(scrape, "switchboard_sip_listener_reopens_total") == Double(destroyed), "\(daemon.log().suffix(2000))")
        #expect(sample(scrape, "switchboard_sip_listeners_down") == 0)
        let reported = "listening sockets reopened \(destroyed) time\(destroyed == 1 ? "" : "s")"
        #expect(notify.waitFor { $0.contains("STATUS=") && $0.contains(reported) } != nil, "\(notify.messages)")
        #expect(daemon.log().contains("listening socket reopened"))
        try assertSIPpOptions(daemon, transport: "t1")
        try assertSIPpOptions(daemon, transport: "u1")
    }

    @Test func perSourceCapRefusesTheExtraConnectionsOnly() throws {
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(metricsPort)\nlimits: { max-tcp-connections-per-source: 4 }\n")
        defer { daemon.stop() }
        var held: [RawSIPClient] = []
        for i in 0..<4 {
            let c = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1, localHost: "127.0.0.7")
            c.send(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.7:\(c.localPort);branch=z9hG4bKcap\(i)", callID: "cap-\(i)"))
            #expect(RawSIPClient.statusCodes(in: c.receiveAll()) == [200], "connection \(i) within the cap")
            held.append(c)
        }
        for i in 0..<3 {
            let extra = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2, localHost: "127.0.0.7")
            #expect(extra.waitForClose(timeout: 3), "connection \(4 + i) from the same source was not refused")
        }
        let other = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1, localHost: "127.0.0.8")
        other.send(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.8:\(other.localPort);branch=z9hG4bKother", callID: "other"))
        #expect(RawSIPClient.statusCodes(in: other.receiveAll()) == [200], "another source was refused too")
        // The held ones still work.
        held[0].send(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.7:\(held[0].localPort);branch=z9hG4bKagain", callID: "again"))
        #expect(RawSIPClient.statusCodes(in: held[0].receiveAll()) == [200])
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_tcp_connections_refused_total{limit=\"per_source\"}") == 3)
        #expect(sample(scrape, "switchboard_tcp_connections{direction=\"inbound\"}") == 5)
    }

    @Test func connectionWithoutAValidRequestIsClosedAfterTheFirstRequestTimeout() throws {
        let metricsPort = FreePort.next()
        let daemon = try DaemonProcess(extraConfig: "metrics: 127.0.0.1:\(metricsPort)\nlimits: { tcp-first-request-timeout: 1s, tcp-idle-timeout: 10m }\n")
        defer { daemon.stop() }
        let silent = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
        let malformed = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
        // Well framed but not SIP: answered 400 (or nothing), never a valid request.
        malformed.send("HELLO there\r\nContent-Length: 0\r\n\r\n")
        let valid = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1)
        valid.send(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.1:\(valid.localPort);branch=z9hG4bKvalid", callID: "valid"))
        #expect(RawSIPClient.statusCodes(in: valid.receiveAll()) == [200])
        // Bounds, not timings: the idle timeout is 10 minutes, so closing within 8 s can only
        // be the first-request timeout.
        #expect(silent.waitForClose(timeout: 8), "a silent connection stayed open")
        #expect(malformed.waitForClose(timeout: 8), "a connection with only a malformed message stayed open")
        #expect(!valid.waitForClose(timeout: 2), "a connection that carried a valid request was closed")
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_tcp_first_request_timeouts_total") == 2)
    }

    @Test func slowlyDrippedMessagesStillWork() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let client = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1)
        for i in 0..<2 {
            client.drip(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.1:\(client.localPort);branch=z9hG4bKdrip\(i)", callID: "drip-\(i)"),
                        step: 1, pause: 0.002)
            #expect(RawSIPClient.statusCodes(in: client.receiveAll()) == [200], "dripped message \(i)")
        }
    }

    /// The dialplan can name unusable addresses too (port 0, broadcast): such a leg fails at
    /// once with 503 and the next target rings, and the UDP listener stays open (an INVITE
    /// to port 0 closed it before, from our own side).
    @Test func unusableTargetAddressesFailTheirLegAtOnce() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let answer = call.callees[0]
        try call.writeDialplan(plans: """
          main:
            sequential:
              steps:
                - { target: "sip:zero@127.0.0.1:0", timeout: 20s }
                - { target: "sip:bcast@255.255.255.255", timeout: 20s }
                - { target: "sip:last@127.0.0.1:\(answer.port)", timeout: 20s }

        """)
        let metricsPort = FreePort.next()
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\n")
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(try answer.wait().successfulCalls == 1)
        let ended = daemon.log().split(separator: "\n").filter { $0.contains("leg ended") }
        #expect(ended.filter { $0.contains("status=503") }.count == 2, "\(ended.joined(separator: "\n"))")
        try assertSIPpOptions(daemon, transport: "u1")
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_sip_destinations_refused_total{reason=\"invalid_port\"}") == 1)
        #expect(sample(scrape, "switchboard_sip_destinations_refused_total{reason=\"broadcast\"}") == 1)
        #expect(sample(scrape, "switchboard_sip_listener_reopens_total") == 0)
    }

    /// Our own outbound connections do not count against the inbound cap: with room for one
    /// inbound connection, held by a peer, a call to a TCP target still goes out, while a
    /// second inbound connection is refused.
    @Test func outboundConnectionsAreCountedApartFromTheInboundCap() throws {
        var callee = SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])
        callee.transport = "t1"
        let call = try CallFixture(callees: [callee])
        defer { call.stop() }
        let answer = call.callees[0]
        try call.writeDialplan(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(answer.port);transport=tcp"))
        let metricsPort = FreePort.next()
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\nlimits: { max-tcp-connections: 1 }\n")
        let held = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 1)
        held.send(Self.request("OPTIONS", via: "SIP/2.0/TCP 127.0.0.1:\(held.localPort);branch=z9hG4bKheld", callID: "held"))
        #expect(RawSIPClient.statusCodes(in: held.receiveAll()) == [200])
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 20).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(try answer.wait().successfulCalls == 1)
        let second = try RawSIPClient(.tcp, port: daemon.port, receiveTimeout: 0.2)
        #expect(second.waitForClose(timeout: 3), "the inbound cap of 1 did not hold")
        let scrape = try metrics(metricsPort)
        #expect(sample(scrape, "switchboard_tcp_connections_refused_total{limit=\"inbound\"}") == 1)
        #expect(sample(scrape, "switchboard_tcp_connections_refused_total{limit=\"outbound\"}") == 0)
    }

    /// A sequential plan whose first target is a TCP address nobody listens on, with a 20 s
    /// ring timeout: the connect fails at once, the leg ends with 503 (RFC 3261 §8.1.3.1),
    /// and the second target rings right away. Before, the leg only ended at its 20 s ring
    /// timeout (`reason=no-answer`), which the log assertions catch.
    @Test func tcpConnectFailureEndsTheLegAtOnce() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let answer = call.callees[0]
        let deadPort = FreePort.next()
        let daemon = try call.startDaemon(plans: """
          main:
            sequential:
              steps:
                - { target: "sip:first@127.0.0.1:\(deadPort);transport=tcp", timeout: 20s }
                - { target: "sip:second@127.0.0.1:\(answer.port)", timeout: 20s }

        """)
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1, timeout: 12).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(caller.successfulCalls == 1)
        #expect(try answer.wait().successfulCalls == 1)
        let log = daemon.log()
        let ended = log.split(separator: "\n").filter { $0.contains("leg ended") }
        #expect(ended.contains { $0.contains("status=503") }, "the TCP leg did not end with a transport error:\n\(ended.joined(separator: "\n"))")
        #expect(!ended.contains { $0.contains("reason=no-answer") || $0.contains("reason=timeout") })
    }
}
