/// Maps one incoming RTP stream onto the outgoing stream of the other leg (RFC 3550 §7.3:
/// a translator that is not transparent must present its own SSRC, sequence space and
/// timeline). Offsets are fixed when a source appears or changes SSRC, so gaps (losses) and
/// timing of the incoming stream are preserved and the receiver sees one continuous stream
/// even across a switch from our own playback to the relayed party.
struct StreamRewriter {
    private var sourceSSRC: UInt32?
    private var sequenceOffset: UInt16 = 0
    private var timestampOffset: UInt32 = 0

    /// Returns the sequence number and timestamp to send, and whether to set the marker bit
    /// (a timestamp discontinuity for the receiver: the start of a new talkspurt).
    mutating func rewrite(ssrc: UInt32, sequence: UInt16, timestamp: UInt32,
                          nextSequence: UInt16, currentTimestamp: UInt32) -> (sequence: UInt16, timestamp: UInt32, newSource: Bool) {
        var newSource = false
        if sourceSSRC != ssrc {
            sourceSSRC = ssrc
            sequenceOffset = nextSequence &- sequence
            timestampOffset = currentTimestamp &- timestamp
            newSource = true
        }
        return (sequence &+ sequenceOffset, timestamp &+ timestampOffset, newSource)
    }

    mutating func reset() { sourceSSRC = nil }

    /// One of our own packets went out in between: later relayed packets move up by one.
    mutating func shiftSequence() { sequenceOffset &+= 1 }
}
