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
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("baresip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let tone = (0..<(8000 * 20)).map { Int16(6000 * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var wav = Data("RIFF".utf8)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + tone.count * 2)); wav.append(contentsOf: Array("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(1)); le(UInt32(8000)); le(UInt32(16000)); le(UInt16(2)); le(UInt16(16))
        wav.append(contentsOf: Array("data".utf8)); le(UInt32(tone.count * 2))
        for s in tone { le(s) }
        try wav.write(to: home.appendingPathComponent("in.wav"))
        let sipPort = FreePort.next(), consolePort = FreePort.next()
        try """
        poll_method epoll
        sip_listen 127.0.0.1:\(sipPort)
        audio_player aufile,/dev/null
        audio_source aufile,\(home.appendingPathComponent("in.wav").path)
        audio_alert aufile,/dev/null
        module_path /usr/lib/baresip/modules
        module cons.so
        module g711.so
        module aufile.so
        module_app account.so
        module_app menu.so
        cons_listen 127.0.0.1:\(consolePort)

        """.write(to: home.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:+14155550123@127.0.0.1>;regint=0;audio_codecs=PCMU\n"
            .write(to: home.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        let baresip = Process()
        baresip.executableURL = URL(fileURLWithPath: "/usr/bin/baresip")
        baresip.arguments = ["-n", "127.0.0.1", "-f", home.path, "-t", "8",
                             "-e", "/dial sip:+13125550100@127.0.0.1:\(daemon.port)"]
        let logURL = home.appendingPathComponent("baresip.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        baresip.standardOutput = log
        baresip.standardError = log
        baresip.standardInput = FileHandle.nullDevice
        try baresip.run()
        defer { if baresip.isRunning { kill(baresip.processIdentifier, SIGKILL) } }

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
        _ = waitUntil(10) { !baresip.isRunning }
        let output = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        #expect(output.contains("Call established"), "\(output.suffix(1500))")
    }
}
