import Foundation
import SIPTestKit
import Testing

/// RFC 3263 §4.2 end to end: a `sip:` target whose host name has no port is located with
/// DNS SRV, asked of a real DNS server (dnsmasq) on loopback named by `dns-server:`.
@Suite(.serialized) struct SRVTargetTests {
    @Test func hostNameWithoutPortRingsTheCalleeOnTheSRVPort() throws {
        let callee = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"]).start()
        defer { callee.stop() }
        let dns = try DNSMasqServer(records: [
            "--srv-host=_sip._udp.pbx.test,callee.pbx.test,\(callee.port)",
            "--host-record=callee.pbx.test,127.0.0.1",
        ])
        defer { dns.stop() }
        let plan = try TestDialplan(plans: """
          main:
            ring-all: { targets: ["sip:desk@pbx.test"], timeout: 10s }

        """)
        defer { plan.remove() }
        let daemon = try DaemonProcess(extraConfig: "dns-server: 127.0.0.1:\(dns.port)\n", dialplans: plan.directory.path)
        defer { daemon.stop() }
        let caller = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(1500))\ndaemon:\n\(daemon.log().suffix(3000))")
        let run = try callee.wait()
        #expect(run.successfulCalls == 1, "callee:\n\(run.output.suffix(1500))")
        // The Request-URI keeps the name without a port (RFC 3263 changes only where it goes).
        let invite = try #require(tracedMessages(run.messages, startingWith: "INVITE ", received: true).first)
        #expect(invite.hasPrefix("INVITE sip:desk@pbx.test SIP/2.0"), "\(invite.prefix(200))")
        #expect(dns.log().contains("query[SRV] _sip._udp.pbx.test"), "\(dns.log())")
    }

    @Test func hostNameWithoutSRVFallsBackToItsAddressOn5060() throws {
        let dns = try DNSMasqServer(records: ["--host-record=nosrv.test,127.0.0.1"])
        defer { dns.stop() }
        let plan = try TestDialplan(plans: """
          main:
            ring-all: { targets: ["sip:desk@nosrv.test"], timeout: 5s }

        """)
        defer { plan.remove() }
        let daemon = try DaemonProcess(extraConfig: "dns-server: 127.0.0.1:\(dns.port)\n", dialplans: plan.directory.path)
        defer { daemon.stop() }
        _ = try? SIPpRun.caller(daemon: daemon, calls: 1).run()
        // SRV asked first, then A; the INVITE went to 127.0.0.1:5060 (nothing listens there).
        #expect(dns.log().contains("query[SRV] _sip._udp.nosrv.test"), "\(dns.log())")
        #expect(dns.log().contains("query[A] nosrv.test"), "\(dns.log())")
        #expect(!daemon.log().contains("target host does not resolve"), "\(daemon.log().suffix(3000))")
    }
}
