import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// RFC 3263 §4.2 end to end: a `sip:` target whose host name has no port is located with
/// DNS SRV, asked of a real DNS server (dnsmasq) on loopback named by `dns-server:`.
@Suite(.serialized) struct SRVTargetTests {
    @Test func hostNameWithoutPortRingsTheCalleeOnTheSRVPort() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let dns = try DNSMasqServer(records: [
            "--srv-host=_sip._udp.pbx.test,callee.pbx.test,\(callee.port)",
            "--host-record=callee.pbx.test,127.0.0.1",
        ])
        defer { dns.stop() }
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@pbx.test"),
                                          config: "dns-server: 127.0.0.1:\(dns.port)\n")
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
        let call = try CallFixture()
        defer { call.stop() }
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:desk@nosrv.test", timeout: "5s"),
                                          config: "dns-server: 127.0.0.1:\(dns.port)\n")
        _ = try? SIPpRun.caller(daemon: daemon, calls: 1).run()
        // SRV asked first, then A; the INVITE went to 127.0.0.1:5060 (nothing listens there).
        #expect(dns.log().contains("query[SRV] _sip._udp.nosrv.test"), "\(dns.log())")
        #expect(dns.log().contains("query[A] nosrv.test"), "\(dns.log())")
        #expect(!daemon.log().contains("target host does not resolve"), "\(daemon.log().suffix(3000))")
    }
}
