import Foundation
import Media
import NIOCore
import Testing

@Suite struct DTMFTests {
    static let pcaps: [(String, Character)] =
        (0...9).map { ("dtmf_2833_\($0).pcap", Character(String($0))) } + [("dtmf_2833_star.pcap", "*"), ("dtmf_2833_pound.pcap", "#")]
    static let pcapDir = "/usr/share/sip-tester"

    /// sip-tester's captures: 10 packets per digit, the end packet three times with the same
    /// sequence number. Each must yield its digit exactly once.
    @Test(arguments: pcaps)
    func sipTesterCaptures(file: String, digit: Character) throws {
        let payloads = try PcapReader.udpPayloads(path: "\(Self.pcapDir)/\(file)")
        #expect(payloads.count >= 4)
        var receiver = DTMFReceiver()
        var digits: [DTMFDigit] = []
        for p in payloads {
            let buf = ByteBuffer(bytes: p)
            let h = try RTPHeader.parse(buf)
            #expect(h.payloadType == 101)
            let e = try #require(TelephoneEvent(payload: h.payload(of: buf)))
            digits += receiver.receive(timestamp: h.timestamp, event: e)
        }
        #expect(digits.map(\.character) == [digit])
        #expect(digits.first?.durationMilliseconds == 280)  // 0x08C0 = 2240 samples
        #expect(receiver.flush() == nil)
    }

    @Test func redundantEndsAndLostEnds() {
        var r = DTMFReceiver()
        var out: [DTMFDigit] = []
        // "1": start, update, three end packets.
        out += r.receive(timestamp: 1000, event: .init(event: 1, duration: 160))
        out += r.receive(timestamp: 1000, event: .init(event: 1, duration: 320))
        for _ in 0..<3 { out += r.receive(timestamp: 1000, event: .init(event: 1, end: true, duration: 800)) }
        // "2": end packets all lost; "3" starts, which reports "2".
        out += r.receive(timestamp: 5000, event: .init(event: 2, duration: 160))
        out += r.receive(timestamp: 5000, event: .init(event: 2, duration: 320))
        out += r.receive(timestamp: 9000, event: .init(event: 11, duration: 160))
        // Late duplicate end of "1" after other events: still ignored.
        out += r.receive(timestamp: 1000, event: .init(event: 1, end: true, duration: 800))
        // Same key pressed again: a new timestamp, so a new press.
        out += r.receive(timestamp: 9000, event: .init(event: 11, end: true, duration: 640))
        out += r.receive(timestamp: 13000, event: .init(event: 11, end: true, duration: 640))
        out += r.receive(timestamp: 13000, event: .init(event: 11, end: true, duration: 640))
        #expect(out.map(\.description) == ["1", "2", "#", "#"])
        #expect(out[0].durationMilliseconds == 100)
        #expect(out[2].durationMilliseconds == 80)
    }

    @Test func telephoneEventWireFormat() throws {
        var buf = ByteBuffer()
        TelephoneEvent(event: 5, end: true, volume: 10, duration: 0x08C0).write(to: &buf)
        #expect(Array(buf.readableBytesView) == [0x05, 0x8A, 0x08, 0xC0])
        #expect(TelephoneEvent(payload: buf) == TelephoneEvent(event: 5, end: true, volume: 10, duration: 0x08C0))
        #expect(TelephoneEvent(payload: ByteBuffer(bytes: [1, 2, 3])) == nil)
    }

    @Test func sipInfoBodies() {
        #expect(SIPInfoDTMF.parse(body: "Signal=5\r\nDuration=160\r\n", contentType: "application/dtmf-relay") == DTMFDigit(event: 5, durationMilliseconds: 160))
        #expect(SIPInfoDTMF.parse(body: "Signal= #\nDuration= 250", contentType: "Application/DTMF-Relay")?.character == "#")
        #expect(SIPInfoDTMF.parse(body: "signal=*\r\n", contentType: "application/dtmf-relay;charset=utf-8")?.character == "*")
        #expect(SIPInfoDTMF.parse(body: "Signal=11\r\n", contentType: "application/dtmf-relay")?.character == "#")
        #expect(SIPInfoDTMF.parse(body: "5", contentType: "application/dtmf")?.character == "5")
        #expect(SIPInfoDTMF.parse(body: "d\r\n", contentType: "application/dtmf")?.character == "D")
        #expect(SIPInfoDTMF.parse(body: "Duration=160", contentType: "application/dtmf-relay") == nil)
        #expect(SIPInfoDTMF.parse(body: "Signal=55", contentType: "application/dtmf-relay") == nil)
        #expect(SIPInfoDTMF.parse(body: "x", contentType: "application/dtmf") == nil)
        #expect(SIPInfoDTMF.parse(body: "5", contentType: "text/plain") == nil)
    }
}
