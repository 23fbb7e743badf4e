import NIOCore

/// How a `play` request ended, reported once to its completion callback.
public enum PlaybackResult: Hashable, Sendable {
    /// The prompt played to its end (never for a looped prompt).
    case finished
    /// `stopPlayback()` or the session closed.
    case stopped
    /// Another `play` replaced it.
    case replaced
}

/// What an `RTPSession` is playing: a cursor over a prompt's pre-encoded bytes. Between
/// prompts it produces silence so the far end keeps receiving a steady stream (and its jitter
/// buffer and NAT bindings stay alive). A plain state machine: the session does the I/O.
struct Playback {
    typealias Completion = @Sendable (PlaybackResult) -> Void

    private(set) var prompt: Prompt?
    private var offset = 0
    private var loop = false
    private var started = false
    private var completion: Completion?

    var isPlaying: Bool { prompt != nil }

    /// Starts `prompt`; returns the previous request's completion to be called with `.replaced`.
    mutating func start(_ prompt: Prompt, loop: Bool, completion: Completion?) -> Completion? {
        let previous = self.prompt != nil ? self.completion : nil
        self.prompt = prompt
        self.loop = loop
        self.offset = 0
        self.started = false
        self.completion = completion
        return previous
    }

    /// Stops; returns the completion to be called with `.stopped`.
    mutating func stop() -> Completion? {
        let previous = prompt != nil ? completion : nil
        prompt = nil
        completion = nil
        return previous
    }

    /// True when the next packet is the first of a prompt: a new talkspurt (RFC 3551 §4.1,
    /// the marker bit).
    var beginsTalkspurt: Bool { prompt != nil && !started }

    /// Appends `count` encoded bytes to `buffer`. Returns the completion to call with
    /// `.finished` once the packet holding the prompt's last byte has been sent.
    mutating func fill(_ buffer: inout ByteBuffer, count: Int, law: G711.Law) -> Completion? {
        guard let prompt else {
            buffer.writeRepeatingByte(law.silence, count: count)
            return nil
        }
        started = true
        let bytes = law == .ulaw ? prompt.pcmu : prompt.pcma
        if bytes.isEmpty {  // an empty prompt finishes at once (and cannot loop forever)
            buffer.writeRepeatingByte(law.silence, count: count)
            let done = completion
            self.prompt = nil
            self.completion = nil
            return done
        }
        var remaining = count
        while remaining > 0 {
            let n = min(remaining, bytes.count - offset)
            bytes.withUnsafeBufferPointer { p in
                _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[offset ..< offset + n]))
            }
            offset += n
            remaining -= n
            if offset == bytes.count {
                if loop {
                    offset = 0
                } else {
                    buffer.writeRepeatingByte(law.silence, count: remaining)
                    let done = completion
                    self.prompt = nil
                    self.completion = nil
                    return done
                }
            }
        }
        return nil
    }
}
