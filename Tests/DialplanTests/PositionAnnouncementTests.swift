import Foundation
import Testing
@testable import Dialplan

/// `announce-position`: how a position is said with the sound set, the two dialplan forms,
/// and every way a sound set can be refused (each at its file:line:col).
@Suite struct PositionAnnouncementTests {
    // MARK: Number → sounds

    @Test(arguments: [
        (1, ["caller-number", "1"]), (7, ["caller-number", "7"]), (13, ["caller-number", "13"]),
        (19, ["caller-number", "19"]), (20, ["caller-number", "20"]), (21, ["caller-number", "20", "1"]),
        (45, ["caller-number", "40", "5"]), (90, ["caller-number", "90"]), (99, ["caller-number", "90", "9"]),
        (100, ["more-than-99"]), (1234, ["more-than-99"]), (0, []), (-3, []),
    ])
    func positionIsSaidCompositionally(position: Int, sounds: [String]) {
        #expect(PositionAnnouncement.soundNames(forPosition: position) == sounds)
    }

    @Test func everyPositionUsesOnlyTheSetsSoundsAndEverySoundIsUsed() {
        let required = Set(PositionAnnouncement.requiredSounds)
        #expect(required.count == 29)
        var used = Set<String>()
        for position in 1...150 { used.formUnion(PositionAnnouncement.soundNames(forPosition: position)) }
        #expect(used == required)
    }

    // MARK: Dialplan forms

    static func file(_ announce: String) -> String {
        """
        account: shop
        timezone: UTC
        numbers:
          "+13125550100": { plan: line }
        plans:
          line:
            queue:
              agents: ["sip:a@b.example"]
              announce-position: \(announce)
        """
    }

    /// A directory with every sound of a set (headers only: the load checks the format).
    static func writeSet(_ dir: TempDialplans, _ set: String, except missing: Set<String> = []) throws {
        try FileManager.default.createDirectory(atPath: dir.path + "/" + set, withIntermediateDirectories: true)
        for sound in PositionAnnouncement.requiredSounds where !missing.contains(sound) {
            try dir.writeData("\(set)/\(sound).wav", wav())
        }
    }

    func load(_ announce: String, setup: (TempDialplans) throws -> Void) throws -> (PositionAnnouncement?, [String], String) {
        let dir = try TempDialplans(["shop.yaml": Self.file(announce)])
        defer { dir.cleanup() }
        try setup(dir)
        let result = dir.load()
        var announcement: PositionAnnouncement?
        if case .queue(let queue)? = result.table?.accounts["shop"]?.plans["line"]?.kind { announcement = queue.announcePosition }
        return (announcement, dir.diagnostics(), dir.path)
    }

    @Test func scalarFormUsesTheDefaultSoundSet() throws {
        let (announcement, diagnostics, path) = try load("30s") { try Self.writeSet($0, "prompts/position") }
        #expect(diagnostics == [])
        #expect(announcement == PositionAnnouncement(every: 30, sounds: path + "/prompts/position"))
    }

    @Test func mappingFormNamesItsSoundSet() throws {
        let (announcement, diagnostics, path) = try load("{ every: 1m, sounds: voices/fr }") { try Self.writeSet($0, "voices/fr") }
        #expect(diagnostics == [])
        #expect(announcement == PositionAnnouncement(every: 60, sounds: path + "/voices/fr"))
        #expect(announcement?.path(of: "7") == path + "/voices/fr/7.wav")
    }

    @Test func mappingFormWithoutSoundsUsesTheDefault() throws {
        let (announcement, diagnostics, path) = try load("{ every: 45s }") { try Self.writeSet($0, "prompts/position") }
        #expect(diagnostics == [])
        #expect(announcement?.sounds == path + "/prompts/position")
    }

    @Test func shippedDialplansLoadWithTheShippedSoundSet() {
        let result = DialplanLoader.load(directory: repositoryRoot + "/Dialplans")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        var sets: [PositionAnnouncement] = []
        for account in result.table?.accounts.values.map({ $0 }) ?? [] {
            for plan in account.plans.values {
                if case .queue(let queue) = plan.kind, let a = queue.announcePosition { sets.append(a) }
            }
        }
        #expect(!sets.isEmpty, "no sample dialplan announces positions")
        #expect(sets.allSatisfy { $0.sounds.hasSuffix("/prompts/position") })
    }

    // MARK: Errors

    @Test func missingDefaultSoundSet() throws {
        let (announcement, diagnostics, _) = try load("30s") { _ in }
        #expect(announcement == nil)
        #expect(diagnostics == [
            "shop.yaml:9:26: error: announce-position sound set 'prompts/position' (the default): directory not found "
                + "(it needs caller-number.wav, 1.wav … 19.wav, 20.wav … 90.wav and more-than-99.wav)",
        ])
    }

    @Test func missingAndUnplayableSoundsAreEachReportedAtTheSoundsValue() throws {
        let (_, diagnostics, _) = try load("{ every: 30s, sounds: voices/de }") { dir in
            try Self.writeSet(dir, "voices/de", except: ["7", "more-than-99"])
            try dir.writeData("voices/de/40.wav", wav(rate: 16000))
        }
        #expect(diagnostics == [
            "shop.yaml:9:48: error: announce-position sounds 'voices/de': 40.wav: 16-bit PCM at 16000 Hz; prompts must be 8000 Hz",
            "shop.yaml:9:48: error: announce-position sounds 'voices/de': 7.wav: file not found",
            "shop.yaml:9:48: error: announce-position sounds 'voices/de': more-than-99.wav: file not found",
        ])
    }

    @Test(arguments: [
        ("0s", "shop.yaml:9:26: error: bad duration '0s' for announce-position (expected e.g. 20s, 5m, 1h)"),
        ("soon", "shop.yaml:9:26: error: bad duration 'soon' for announce-position (expected e.g. 20s, 5m, 1h)"),
        ("{ evry: 30s }", "shop.yaml:9:28: error: unknown key 'evry' in announce-position (did you mean 'every'?)"),
        ("[30s]", "shop.yaml:9:26: error: announce-position must be a duration (30s) or { every: 30s, sounds: <directory> }"),
        ("{ every: 30s, sounds: [a, b] }", "shop.yaml:9:48: error: announce-position sounds must be a single value"),
    ])
    func badAnnouncePosition(announce: String, expected: String) throws {
        let (announcement, diagnostics, _) = try load(announce) { try Self.writeSet($0, "prompts/position") }
        #expect(announcement == nil)
        #expect(diagnostics.contains(expected), "\(diagnostics)")
    }
}
