import NIOCore

/// The relay side of a session: `RTPRelay` attaches two sessions; packets received by one
/// are rewritten onto the other's stream here.
extension RTPSession {
    // MARK: Relay hooks (used by RTPRelay, on the loop)

    func attachRelay(to peer: RTPSession) {
        onLoop {
            guard !self.closed else { return }
            self.relayPeer = peer
            self.relayIn.reset()
        }
    }

    func detachRelay() {
        onLoop {
            self.relayPeer = nil
            self.pendingMarker = true  // our own playback resumes: a new talkspurt
        }
    }

    var isRelaying: Bool { relayPeer != nil }

    /// Sends a packet received by the peer session on our stream: our SSRC, sequence space and
    /// timeline; the payload type mapped to ours (and G.711 transcoded if the laws differ).
    func sendRelayed(_ header: RTPHeader, datagram: ByteBuffer, from source: RTPSession) {
        guard !closed, direction.sends, let remote, let channel = rtpChannel else { return }
        let payloadType: UInt8
        var transcode: (G711.Law, G711.Law)?
        if header.payloadType == source.configuration.payloadType {
            payloadType = configuration.payloadType
            if source.configuration.law != configuration.law { transcode = (source.configuration.law, configuration.law) }
        } else if header.payloadType == source.configuration.telephoneEventPayloadType, let te = configuration.telephoneEventPayloadType {
            payloadType = te
        } else {
            return  // comfort noise or a codec this leg did not negotiate
        }
        let mapped = relayIn.rewrite(ssrc: header.ssrc, sequence: header.sequenceNumber, timestamp: header.timestamp,
                                     nextSequence: sequence, currentTimestamp: timestamp)
        // Keep our counter past every relayed number, so our own packets never reuse one.
        if rtpSequence(mapped.sequence &+ 1, isAfter: sequence) { sequence = mapped.sequence &+ 1 }
        outBuffer.clear()
        RTPHeader(marker: header.marker || mapped.newSource, payloadType: payloadType, sequenceNumber: mapped.sequence,
                  timestamp: mapped.timestamp, ssrc: ssrc).write(to: &outBuffer)
        let start = datagram.readerIndex + header.payloadOffset
        if let (from, to) = transcode {
            datagram.withUnsafeReadableBytes { raw in
                for i in 0..<header.payloadLength {
                    outBuffer.writeInteger(G711.transcode(raw[header.payloadOffset + i], from: from, to: to))
                }
            }
        } else {
            outBuffer.writeImmutableBuffer(datagram.getSlice(at: start, length: header.payloadLength)!)
        }
        stats.packetsSent &+= 1
        stats.payloadOctetsSent &+= UInt64(header.payloadLength)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: outBuffer), promise: nil)
    }
}
