import Foundation
import Glibc
import ProcessTestKit
import SIPTestKit
import Testing

/// A second, unrelated user agent: baresip places an IVR call, sends its audio, presses a
/// key (RFC 4733, as a phone does) and is bridged to the option's callee.
@Suite(.serialized) struct BaresipTests {
    /// scripts/setup-debian installs baresip-core; a missing binary fails the test, never skips it.
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/baresip") }

    @Test func baresipCallerChoosesAnOptionByRFC4733() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "100"])])
        defer { call.stop() }
        let support = call.callees[0]
        let plan = try call.writeDialplan(plans: """
          main:
            ivr:
              prompt: prompts/menu.wav
              options: { "1": sales, "2": support }
              timeout: 5s
              attempts: 2
          sales:
            ring-all: { targets: ["sip:sales@127.0.0.1:9"], timeout: 10s }
          support:
            ring-all: { targets: ["sip:support@127.0.0.1:\(support.port)"], timeout: 10s }

        """)
        let prompts = plan.directory.appendingPathComponent("prompts")
        try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
        try writeULawWAV([UInt8](repeating: 0x55, count: 4000), to: prompts.appendingPathComponent("menu.wav"))
        let daemon = try call.startDaemon(config: mediaConfig())

        // baresip: its own SIP and console ports, audio from an 8 kHz tone file, no devices.
        let phone = try BaresipPhone(account: "<sip:+14155550123@127.0.0.1>;regint=0;audio_codecs=PCMU",
                                     commands: ["/dial sip:+13125550100@127.0.0.1:\(daemon.port)"], seconds: 8,
                                     toneSeconds: 20, toneAmplitude: 6000, console: true)
        defer { phone.stop() }
        let consolePort = phone.consolePort!

        // Once the menu plays, press 2 on baresip's console (key down, then key up: 0x04).
        #expect(waitUntil(10) { daemon.log().contains("IVR menu") }, "\(daemon.log().suffix(2000))")
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(udp) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(consolePort).bigEndian)
        func press(_ byte: UInt8) {
            var b = byte
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, &b, 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        usleep(500_000)
        press(UInt8(ascii: "2"))
        usleep(200_000)
        press(0x04)

        let callee = try support.wait(timeout: 20)
        #expect(callee.successfulCalls == 1, "\(callee.output.suffix(1000))\n\(daemon.log().suffix(3000))")
        #expect(tracedMessages(callee.messages, startingWith: "INVITE ").first?.contains("s=switchboard") == true)
        let text = daemon.log()
        #expect(text.contains("digit=2"))
        #expect(text.contains("bridged with anchored media"))
        _ = phone.waitForExit(timeout: 10)
        let output = phone.output
        #expect(output.contains("Call established"), "\(output.suffix(1500))")
    }
}
