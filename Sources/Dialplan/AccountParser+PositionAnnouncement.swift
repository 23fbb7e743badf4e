import Foundation

/// `announce-position:` in a queue: `30s` (the default sound set) or
/// `{ every: 30s, sounds: prompts/position-fr }`. The sound set is checked here, file by
/// file, so a set that cannot be played is a load error (and a reload keeps the running
/// plan) instead of a caller hearing silence.
extension AccountParser {
    func positionAnnouncement(_ node: Node) -> PositionAnnouncement? {
        let every: Int?
        let soundsNode: Node
        var soundsText: String?
        switch node {
        case .mapping:
            guard let entries = file.mapping(node, "announce-position", allowed: ["every", "sounds"], required: ["every"]) else { return nil }
            every = entries["every"].flatMap { file.duration($0, "announce-position") }
            if let node = entries["sounds"] {
                guard let text = file.string(node, "announce-position sounds") else { return nil }
                (soundsNode, soundsText) = (node, text)
            } else {
                soundsNode = node
            }
        case .scalar:
            every = file.duration(node, "announce-position")  // 0s is refused there
            soundsNode = node
        default:
            file.error(node, "announce-position must be a duration (30s) or { every: 30s, sounds: <directory> }")
            return nil
        }
        let sounds = soundSet(soundsNode, soundsText)
        guard let every, let sounds else { return nil }
        return PositionAnnouncement(every: every, sounds: sounds)
    }

    /// The resolved directory when it holds every sound, each playable; else one error per
    /// problem at `node`. `text` nil: the default set (the dialplan named none).
    private func soundSet(_ node: Node, _ text: String?) -> String? {
        let name = text ?? PositionAnnouncement.defaultSounds
        let resolved = name.hasPrefix("/") ? name : file.directory + "/" + name
        let what = text == nil ? "announce-position sound set '\(name)' (the default)" : "announce-position sounds '\(name)'"
        var isDirectory: ObjCBool = false
        file.depend(on: resolved)
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            file.error(node, "\(what): directory not found (it needs \(PositionAnnouncement.intro).wav, 1.wav … 19.wav, "
                       + "20.wav … 90.wav and \(PositionAnnouncement.beyondRange).wav)")
            return nil
        }
        var ok = true
        let set = PositionAnnouncement(every: 1, sounds: resolved)
        for sound in PositionAnnouncement.requiredSounds {
            file.depend(on: set.path(of: sound))
            if let problem = WAVFormat.problem(atPath: set.path(of: sound)) {
                file.error(node, "\(what): \(sound).wav: \(problem)")
                ok = false
            }
        }
        return ok ? resolved : nil
    }
}
