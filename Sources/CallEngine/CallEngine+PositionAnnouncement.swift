import Dialplan
import Logging
import Media

/// Position announcements (issue 7 item 5): every `announce-position` of hold music the
/// waiting caller hears "you are caller number N", N being their place in the queue's
/// arrival order at that moment, then the hold music starts again. The timer runs on the
/// engine's loop like the queue's other timers; it is cancelled when the caller leaves the
/// waiting line (answered, max-wait, hang-up), and `bridgeAnchored` stopping the caller's
/// playback cuts an announcement in progress.
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

    /// Arms the next announcement `every` seconds from now (from `startQueue`, and after each
    /// announcement ends, so the caller always hears that much music in between).
    func schedulePositionAnnouncement(_ call: Call, _ plan: QueuePlan) {
        guard let announcement = plan.announcePosition, let anchor = call.anchor else { return }
        anchor.positionTimer?.cancel()
        anchor.positionTimer = clock.schedule(after: .seconds(announcement.every)) { [weak self, weak call] in
            guard let self, let call else { return }
            call.anchor?.positionTimer = nil
            self.announcePosition(call)
        }
    }

    /// The caller's live position (1-based) in their queue, nil when no longer waiting.
    func queuePosition(_ call: Call) -> Int? {
        guard let anchor = call.anchor, anchor.stage == .queue, let key = anchor.queueKey,
              let index = queues[key]?.waiting.firstIndex(of: call.id) else { return nil }
        return index + 1
    }

    private func announcePosition(_ call: Call) {
        guard call.state == .ringing, let anchor = call.anchor, let key = anchor.queueKey, let queue = queues[key],
              let announcement = queue.plan.announcePosition, let position = queuePosition(call) else { return }
        let plan = queue.plan
        let names = PositionAnnouncement.soundNames(forPosition: position)
        let parts = names.compactMap { media?.prompts.prompt(announcement.path(of: $0)) }
        guard !names.isEmpty, parts.count == names.count else {
            // The load checked the set, so only a file that vanished before preload gets here:
            // keep the music going rather than interrupt it with silence.
            callLogger(call).warning("position sounds not loaded: announcement skipped", metadata: ["sounds": "\(announcement.sounds)"])
            schedulePositionAnnouncement(call, plan)
            return
        }
        callLogger(call).info("position announced", metadata: ["queue": "\(key)", "position": "\(position)"])
        let prompt = Prompt(name: "\(Self.positionAnnouncementName) \(position)", concatenating: parts)
        play(call, prompt, name: Self.positionAnnouncementName, loop: false) { [weak self, weak call] result in
            // Only an announcement that ran to its end gives way to music: a stopped one was
            // cut by an answer or by max-wait, which chose what the caller hears next.
            guard let self, let call, result == .finished, let anchor = call.anchor, anchor.stage == .queue,
                  anchor.playing == Self.positionAnnouncementName else { return }
            self.playHold(call, plan)
            self.schedulePositionAnnouncement(call, plan)
        }
    }
}
