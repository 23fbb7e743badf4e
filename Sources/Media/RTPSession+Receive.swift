import NIOCore

/// The receive path: validation, symmetric-RTP latching, DTMF, relay forwarding.
extension RTPSession {
    // MARK: Receive

    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !closed else { return }
        let datagram = envelope.data
        let header: RTPHeader
        do { header = try RTPHeader.parse(datagram) } catch {
            stats.invalidPacketsReceived &+= 1
            return
        }
        if latched, configuration.strictSource, envelope.remoteAddress != remote {
            stats.packetsFromOtherSources &+= 1
            return
        }
        stats.packetsReceived &+= 1
        lastReceived = .now()
        timedOut = false
        if configuration.symmetricRTP, !latched {
            latched = true
            if remote != envelope.remoteAddress {
                logger.debug("symmetric RTP: latched", metadata: ["rtp.remote": "\(envelope.remoteAddress)"])
            }
            remote = envelope.remoteAddress
        }
        if header.payloadType == configuration.telephoneEventPayloadType,
           let event = TelephoneEvent(payload: header.payload(of: datagram)) {
            for digit in dtmfReceiver.receive(timestamp: header.timestamp, event: event) { onDTMF?(digit) }
        }
        if let peer = relayPeer {
            stats.packetsRelayed &+= 1
            if peer.eventLoop === eventLoop {
                peer.sendRelayed(header, datagram: datagram, from: self)
            } else {
                peer.eventLoop.execute { peer.sendRelayed(header, datagram: datagram, from: self) }
            }
        }
    }

    func receiveRTCP(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !closed, RTCPPacket.parseCompound(envelope.data) != nil else { return }
        if configuration.symmetricRTP { rtcpRemote = envelope.remoteAddress }
        lastReceived = .now()  // RTCP proves the far end is alive (e.g. while it holds)
        timedOut = false
    }
}
