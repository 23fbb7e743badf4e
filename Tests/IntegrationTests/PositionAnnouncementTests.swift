import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Queue position announcements end to end: SIPp callers wait in a queue whose one agent
/// never answers (or answers late), a UDP socket stands in for a caller's RTP port, and the
/// audio the daemon sends is searched for the exact bytes of each sound. The test's sound set
/// is random µ-law noise, a different burst per file, so finding one file's bytes in the
/// stream can only mean that file was played.
@Suite(.serialized) struct PositionAnnouncementTests {
    /// A sound set (every required file) and hold music of random µ-law bytes, written under
    /// the dialplan directory; returns each sound's bytes by name.
    static func writeSounds(in plan: TestDialplan, introBytes: Int = 700) throws -> (sounds: [String: [UInt8]], music: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        func noise(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0x10...0x7E, using: &generator) } }
        let dir = plan.directory.appendingPathComponent("sounds")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var sounds: [String: [UInt8]] = [:]
        let names = ["caller-number"] + (1...19).map(String.init) + stride(from: 20, through: 90, by: 10).map(String.init) + ["more-than-99"]
        for name in names {
            sounds[name] = noise(name == "caller-number" ? introBytes : 400)
            try writeULawWAV(sounds[name]!, to: dir.appendingPathComponent("\(name).wav"))
        }
        let music = noise(2400)
        let prompts = plan.directory.appendingPathComponent("prompts")
        try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
        try writeULawWAV(music, to: prompts.appendingPathComponent("hold.wav"))
        return (sounds, music)
    }

    static func plan(agent: Int, agentTimeout: String) -> String {
        """
          main:
            queue:
              agents: ["sip:agent@127.0.0.1:\(agent)"]
              strategy: linear
              agent-timeout: \(agentTimeout)
              hold-music: prompts/hold.wav
              announce-position: { every: 1s, sounds: sounds }

        """
    }

    static func audio(_ packets: [(pt: UInt8, seq: UInt16, payload: [UInt8])]) -> [UInt8] {
        packets.filter { $0.pt == 0 }.flatMap(\.payload)
    }

    /// A word as it plays within an announcement: padded with µ-law silence to whole 20 ms
    /// frames, the next word following at once.
    static func framed(_ word: [UInt8]) -> [UInt8] { word + [UInt8](repeating: 0xFF, count: (160 - word.count % 160) % 160) }

    /// Two callers wait, the agent only rings: the second hears "2" while the first waits,
    /// then "1" once the first has hung up, with the hold music between announcements.
    @Test func theSecondCallerHearsTwoThenOneWhenTheFirstLeaves() throws {
        let call = try CallFixture(callees: [.callee("callee-ring-cancelled.xml", calls: 2)])
        defer { call.stop() }
        let agent = call.callees[0]
        let plan = try call.writeDialplan(plans: Self.plan(agent: agent.port, agentTimeout: "30s"))
        let (sounds, music) = try Self.writeSounds(in: plan)
        let daemon = try call.startDaemon(config: mediaConfig())

        let first = try AnchoredCaller.run(daemon, steps: [.pause(3000)]).start()
        defer { _ = first.stop() }
        #expect(waitUntil(10) { daemon.log().contains("caller queued") }, "\(daemon.log().suffix(2000))")
        let capture = try RTPCapture()
        let second = try AnchoredCaller.run(daemon, steps: [.pause(7000)], mediaPort: capture.port).start()
        defer { _ = second.stop() }

        // While the first caller waits (until the daemon logs its hang-up).
        let before = Self.audio(capture.collect(deadline: Date().addingTimeInterval(10)) { _ in
            daemon.log().contains("caller hung up")
        })
        let two = Self.framed(sounds["caller-number"]!) + sounds["2"]!
        // Booleans first: a failed #expect on the arrays would print thousands of bytes.
        let heardTwo = before.contains(run: two), heardOneEarly = before.contains(run: sounds["1"]!)
        #expect(heardTwo, "no 'you are caller number 2' while the first caller waited\n\(daemon.log().suffix(3000))")
        #expect(!heardOneEarly, "'1' was announced while a caller was ahead")
        if let end = before.firstIndex(ofRun: sounds["2"]!) {
            let resumed = Array(before[end...]).contains(run: Array(music.prefix(480)))
            #expect(resumed, "hold music did not resume after the announcement")
        }

        // After: the live position is 1.
        let after = Self.audio(capture.collect(deadline: Date().addingTimeInterval(6)) { packets in
            Self.audio(packets).contains(run: sounds["1"]!)
        })
        let heardOne = after.contains(run: Self.framed(sounds["caller-number"]!) + sounds["1"]!)
        #expect(heardOne, "no 'you are caller number 1' after the first caller left\n\(daemon.log().suffix(3000))")
        #expect(try first.wait(timeout: 20).status == 0)
        #expect(try second.wait(timeout: 20).status == 0)
        let log = daemon.log()
        let announced = log.split(separator: "\n").filter { $0.contains("position announced") }
        #expect(announced.contains { $0.contains("position=2") } && announced.contains { $0.contains("position=1") })
    }

    /// An agent answers while an announcement plays: it is cut off at once, and none follows.
    @Test func anAnswerCutsTheAnnouncementAndStopsFurtherOnes() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "1600"])])
        defer { call.stop() }
        let agent = call.callees[0]
        let plan = try call.writeDialplan(plans: Self.plan(agent: agent.port, agentTimeout: "10s"))
        // A 2 s intro, so the announcement starting 1 s into the wait is still playing at the answer.
        let (sounds, _) = try Self.writeSounds(in: plan, introBytes: 16000)
        let daemon = try call.startDaemon(config: mediaConfig())
        let capture = try RTPCapture()
        let caller = try AnchoredCaller.run(daemon, steps: [.pause(4500)], mediaPort: capture.port).start()
        defer { _ = caller.stop() }

        let audio = Self.audio(capture.collect(deadline: Date().addingTimeInterval(5)) { _ in false })
        let intro = sounds["caller-number"]!
        let began = audio.contains(run: Array(intro.prefix(800))), ended = audio.contains(run: Array(intro.suffix(800)))
        #expect(began, "no announcement began before the answer\n\(daemon.log().suffix(3000))")
        #expect(!ended, "the announcement played on after the agent answered")
        #expect(try caller.wait(timeout: 20).status == 0)
        let log = daemon.log()
        let bridged = try #require(log.range(of: "bridged with anchored media"), "\(log.suffix(3000))")
        #expect(log[..<bridged.lowerBound].contains("position announced"))
        #expect(!log[bridged.upperBound...].contains("position announced"), "an announcement followed the answer")
    }
}

extension Array where Element == UInt8 {
    /// Where `needle` first occurs contiguously.
    func firstIndex(ofRun needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<i + needle.count]) == needle { return i }
        return nil
    }
}
