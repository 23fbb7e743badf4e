import Dialplan
import Logging
import Media

/// Position announcements (issue 7 item 5): every `announce-position` of hold music the
/// waiting caller hears "you are caller number N", N being their place in the queue's
/// arrival order at that moment, then the hold music starts again. The caller's
/// `QueueWaitMachine` times them (its `position` timer) and cancels that timer when the caller
/// leaves the waiting line (answered, max-wait, hang-up); `connectLegMedia` stopping the
/// caller's playback cuts an announcement in progress.
extension CallEngine {
    /// The prompt name while an announcement plays (`MediaAnchor.playing`).
    static let positionAnnouncementName = "position-announcement"

    /// What a waiting caller hears between announcements: the queue's hold music, else
    /// ringback.
    func playHold(_ call: Call, _ plan: QueuePlan) {
        if let path = plan.holdMusic {
            play(call, media?.prompts.prompt(path), name: path, loop: true)
        } else {
            play(call, Prompt.ringback, name: "ringback", loop: true)
        }
    }

    /// The caller's live position (1-based) in their queue, nil when no longer waiting.
    func queuePosition(_ call: Call) -> Int? {
        guard queueStay(call) != nil, let key = call.anchor?.queueKey,
              let index = queues[key]?.waiting.firstIndex(of: call.id) else { return nil }
        return index + 1
    }

    /// The caller's `QueueWaitMachine` asked for an announcement (`announce-position` seconds
    /// of hold music went by); its end, or its skipping, goes back to the machine.
    func announcePosition(_ call: Call) {
        guard queueStay(call) != nil, let key = call.anchor?.queueKey, let queue = queues[key],
              let announcement = queue.plan.announcePosition, let position = queuePosition(call) else { return }
        let names = PositionAnnouncement.soundNames(forPosition: position)
        let parts = names.compactMap { media?.prompts.prompt(announcement.path(of: $0)) }
        guard !names.isEmpty, parts.count == names.count else {
            // The load checked the set, so only a file that vanished before preload gets here:
            // keep the music going rather than interrupt it with silence.
            callLogger(call).warning("position sounds not loaded: announcement skipped", metadata: ["sounds": "\(announcement.sounds)"])
            drive(call) { machine, now in machine.announcementEnded(played: false, now: now) }
            return
        }
        callLogger(call).info("position announced", metadata: ["queue": "\(key)", "position": "\(position)"])
        let prompt = Prompt(name: "\(Self.positionAnnouncementName) \(position)", concatenating: parts)
        play(call, prompt, name: Self.positionAnnouncementName, loop: false) { [weak self, weak call] result in
            // Only an announcement that ran to its end gives way to music: a stopped one was
            // cut by an answer or by max-wait, which chose what the caller hears next.
            guard let self, let call, result == .finished, self.queueStay(call) != nil,
                  call.anchor?.playing == Self.positionAnnouncementName else { return }
            self.drive(call) { machine, now in machine.announcementEnded(played: true, now: now) }
        }
    }
}
