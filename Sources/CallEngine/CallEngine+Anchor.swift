import Dialplan
import Foundation
import Logging
import Media
import NIOCore
import SIPMessage
import SIPTransaction

/// The media side of calls the daemon answers itself (IVR, queue: design.md "Call engine
/// rules"), as the `CallStateMachine`'s anchored actions ask for it: the caller's RTP session
/// and our 200, the session facing outbound legs, prompts, the relay once a leg answers, and
/// offers answered locally. What happens when is the machine's (`CallStateMachine+Anchored`);
/// this file only does the I/O and reports back (`callerMediaOpened`, `legMediaOpened`, …).
extension CallEngine {
    // MARK: The caller's session and our 200

    /// Opens the caller's RTP session with the answer to its offer (or our offer, for a
    /// late-offer INVITE); the machine hears `callerMediaOpened` or `callerMediaFailed`.
    func openCallerMedia(_ call: Call) {
        guard let media else {
            drive(call) { machine, now in machine.callerMediaFailed(status: 503, warning: nil, now: now) }
            return
        }
        if call.anchor == nil { call.anchor = MediaAnchor() }
        let invite = call.inbound.invite
        var configuration = RTPSession.Configuration()
        configuration.bindAddress = media.address
        var answer: SDPNegotiator.Answer?
        if !invite.body.isEmpty {
            guard let text = String(bytes: invite.body, encoding: .utf8), let offer = try? SDPCodec.parse(text) else {
                refuseOffer(call, warning: "399 \(configuration.bindAddress) \"SDP offer cannot be parsed\"")
                return
            }
            switch SDPNegotiator.answer(offer: offer, localAddress: media.address, localPort: 9) {
            case .success(let a):
                answer = a
                configuration = RTPSession.Configuration(negotiated: a.media, bindAddress: media.address)
            case .failure(let failure):
                refuseOffer(call, warning: "\(failure.warningCode) \(media.address) \"\(failure.reason)\"")
                return
            }
        }
        let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
        let negotiated = answer
        RTPSession.start(on: sessionLoop(call, media), pool: media.pool, configuration: configuration, logger: callLogger(call))
            .whenComplete { result in
                bound.run { engine, call in engine.callerSessionStarted(call, result, answer: negotiated, media: media) }
            }
    }

    private func refuseOffer(_ call: Call, warning: String) {
        callLogger(call).notice("caller's SDP refused", metadata: ["warning": "\(warning)"])
        drive(call) { machine, now in machine.callerMediaFailed(status: 488, warning: warning, now: now) }
    }

    private func callerSessionStarted(_ call: Call, _ result: Result<RTPSession, any Error>, answer: SDPNegotiator.Answer?,
                                      media: MediaServices) {
        let session: RTPSession
        switch result {
        case .success(let s): session = s
        case .failure(let error):
            callLogger(call).error("no RTP session for the caller", metadata: ["error": "\(error)"])
            drive(call) { machine, now in machine.callerMediaFailed(status: 503, warning: nil, now: now) }
            return
        }
        // Given up (CANCEL, drain) while the session opened: nothing to answer any more.
        guard case .answering? = call.machine?.state, let anchor = call.anchor else {
            session.close()
            return
        }
        anchor.callerSession = session
        var sdp: SessionDescription
        let lateOffer: Bool
        if var answer {
            answer.description.media[answer.media.mediaIndex].port = session.localPort
            sdp = answer.description
            lateOffer = false
        } else {
            sdp = SDPNegotiator.makeOffer(localAddress: media.address, localPort: session.localPort, laws: [.ulaw])
            lateOffer = true
        }
        anchor.callerSDP = sdp
        drive(call) { machine, now in machine.callerMediaOpened(lateOffer: lateOffer, now: now) }
    }

    /// `.answerCaller`: our 200 with the caller session's SDP, retransmitted until the ACK
    /// (§13.3.1.4); the session's digits and silence go to the machine from now on.
    func answerCallerWithOurMedia(_ call: Call) {
        guard let anchor = call.anchor, let session = anchor.callerSession, let sdp = anchor.callerSDP, let media else { return }
        let inbound = call.inbound
        var out = SIPResponse(to: inbound.invite, statusCode: 200, toTag: inbound.localTag)
        out.contacts = [contact(replyingTo: inbound.invite)]
        out.recordRoutes = inbound.invite.recordRoutes  // RFC 3261 §12.1.1
        out.headers.add("Allow", B2BUA.allow)
        out.contentType = "application/sdp"
        out.body = Array(((try? SDPCodec.serialize(sdp)) ?? "").utf8)
        inbound.sentFinal = true
        do { try layer.respond(out, on: inbound.transaction) } catch {
            callLogger(call).debug("200 to caller not sent", metadata: ["error": "\(error)"])
        }
        start2xxRetransmission(call, out)
        callLogger(call).info("caller answered by the daemon", metadata: ["rtp.port": "\(session.localPort)"])
        let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
        session.onDTMF { digit in bound.run { engine, call in engine.receiveDigit(call, digit) } }
        session.setMediaTimeout(media.timeout) { bound.run { engine, call in engine.mediaTimedOut(call) } }
    }

    /// `.refuseCaller`: a final response with the reason our media cannot answer the offer.
    func refuseCaller(_ call: Call, status: Int, warning: String?) {
        var out = SIPResponse(to: call.inbound.invite, statusCode: status, toTag: call.inbound.localTag)
        if let warning { out.headers.add("Warning", warning) }
        call.inbound.sentFinal = true
        try? layer.respond(out, on: call.inbound.transaction)
    }

    /// A key from RTP (RFC 4733) or SIP INFO: the menu's, if one plays.
    func receiveDigit(_ call: Call, _ digit: DTMFDigit) {
        guard let key = digit.character, case .menu? = call.machine?.state else { return }
        callLogger(call).info("DTMF", metadata: ["digit": "\(key)"])
        drive(call) { machine, now in machine.digitReceived(key, now: now) }
    }

    func mediaTimedOut(_ call: Call) {
        guard call.machine?.isActive == true else { return }
        callLogger(call).notice("no RTP for the media timeout: ending the call")
        drive(call) { machine, now in machine.mediaTimedOut(now: now) }
    }

    /// `.acceptCallerAnswer`: the late-offer caller's ACK answers the offer in our 200.
    func acceptCallerAnswer(_ call: Call, _ ack: SIPRequest) {
        guard let anchor = call.anchor, let offer = anchor.callerSDP, let text = String(bytes: ack.body, encoding: .utf8),
              let answer = try? SDPCodec.parse(text) else { return }
        switch SDPNegotiator.accept(answer: answer, to: offer) {
        case .success(let negotiated):
            let remote = try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
            anchor.callerSession?.update(remote: remote, direction: negotiated.direction)
        case .failure(let failure):
            callLogger(call).warning("caller's answer in ACK not usable: ending the call", metadata: ["error": "\(failure)"])
            drive(call) { machine, now in machine.hangUp(reason: .rejected, now: now) }
        }
    }

    // MARK: The legs' session

    /// `.openLegMedia`: session B, our offer to every outbound leg of this call.
    func openLegMedia(_ call: Call) {
        guard let anchor = call.anchor, let media else {
            drive(call) { machine, now in machine.hangUp(reason: .error, now: now) }
            return
        }
        // Offer the caller's codec only, so the relay never needs to transcode.
        var configuration = RTPSession.Configuration()
        configuration.bindAddress = media.address
        if let caller = anchor.callerSession?.configuration {
            configuration.law = caller.law
            configuration.payloadType = caller.law.staticPayloadType
        }
        configuration.telephoneEventPayloadType = 101
        let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
        let law = configuration.law
        RTPSession.start(on: sessionLoop(call, media), pool: media.pool, configuration: configuration, logger: callLogger(call))
            .whenComplete { result in
                bound.run { engine, call in
                    guard case .success(let session) = result else {
                        engine.callLogger(call).error("no RTP session for the outbound legs")
                        engine.drive(call) { machine, now in machine.hangUp(reason: .error, now: now) }
                        return
                    }
                    guard case .openingLegMedia? = call.machine?.state, let anchor = call.anchor else { session.close(); return }
                    anchor.legSession = session
                    let offer = SDPNegotiator.makeOffer(localAddress: media.address, localPort: session.localPort, laws: [law])
                    anchor.legOffer = offer
                    anchor.legOfferBody = Array(((try? SDPCodec.serialize(offer)) ?? "").utf8)
                    engine.drive(call) { machine, now in machine.legMediaOpened(now: now) }
                }
            }
    }

    /// The loop this call's RTP sessions share, picked on first use.
    func sessionLoop(_ call: Call, _ media: MediaServices) -> any EventLoop {
        if let loop = call.anchor?.sessionLoop { return loop }
        let loop = media.sessionLoops.next()
        call.anchor?.sessionLoop = loop
        return loop
    }

    // MARK: What the caller hears

    func perform(_ playback: CallStateMachine.Playback, _ call: Call) {
        switch playback {
        case .menuPrompt(let plan, let prompt, let generation):
            guard let media, case .ivr(let ivr)? = call.table?.accounts[call.account]?.plans[plan]?.kind,
                  let path = prompt == .menu ? ivr.prompt : ivr.invalidPrompt else { return }
            if call.anchor?.menuRound?.plan != plan || call.anchor?.menuRound?.generation != generation {
                // A new round of the menu: its first play (the invalid prompt, or the menu).
                call.anchor?.menuRound = (plan, generation)
                callLogger(call).info(generation == 1 ? "IVR menu" : "IVR: no valid choice, menu again", metadata: ["plan": "\(plan)"])
            }
            play(call, media.prompts.prompt(path), name: path, loop: false) { [weak self, weak call] result in
                guard let self, let call, result == .finished else { return }
                self.drive(call) { machine, now in machine.promptFinished(plan: plan, prompt, generation: generation, now: now) }
            }
        case .hold(let plan):
            guard case .queue(let queue)? = call.table?.accounts[call.account]?.plans[plan]?.kind else { return }
            playHold(call, queue)
        case .ringback:
            play(call, Prompt.ringback, name: "ringback", loop: true)
        }
    }

    /// Plays `prompt` to the caller (nothing when it is already playing `name`, for loops).
    func play(_ call: Call, _ prompt: Prompt?, name: String, loop: Bool,
              completion: ((PlaybackResult) -> Void)? = nil) {
        guard let anchor = call.anchor, let session = anchor.callerSession, let media else { return }
        if loop, anchor.playing == name { return }
        anchor.playing = name
        guard let prompt else {
            callLogger(call).warning("prompt not loaded: playing silence", metadata: ["prompt": "\(name)"])
            // Behave as if it played, so menus still time out and go on.
            if let completion { _ = clock.schedule(after: .milliseconds(20)) { completion(.finished) } }
            return
        }
        let bound = LoopBound(value: completion, eventLoop: media.eventLoop)
        session.play(prompt, loop: loop) { result in bound.run { completion in completion?(result) } }
    }

    func stopPlayback(_ call: Call) {
        call.anchor?.playing = nil
        call.anchor?.callerSession?.stopPlayback()
    }

    // MARK: Bridging

    /// `.connectLegMedia`: the leg's 2xx answers our offer; point session B at it and relay
    /// A ↔ B (the machine already ACKed the leg).
    func connectLegMedia(_ call: Call, _ ref: CallStateMachine.LegRef, _ response: SIPResponse) {
        guard let anchor = call.anchor, let leg = call.legsByRef[ref] else { return }
        statistics.callsAnswered += 1
        if let offer = anchor.legOffer, let text = String(bytes: response.body, encoding: .utf8),
           let answer = try? SDPCodec.parse(text) {
            switch SDPNegotiator.accept(answer: answer, to: offer) {
            case .success(let negotiated):
                let remote = try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
                anchor.legSession?.update(remote: remote, direction: negotiated.direction)
            case .failure(let failure):
                callLogger(call).warning("answer SDP not usable", metadata: ["error": "\(failure)"])
            }
        } else {
            callLogger(call).warning("2xx without usable SDP: the leg gets RTP once it sends some")
        }
        stopPlayback(call)
        if let a = anchor.callerSession, let b = anchor.legSession, let media {
            let relay = RTPRelay(a, b)
            anchor.relay = relay
            let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
            relay.start(mediaTimeout: media.timeout) { _ in bound.run { engine, call in engine.mediaTimedOut(call) } }
        }
        callLogger(call).info("bridged with anchored media", metadata: ["target": "\(leg.target)"])
    }

    // MARK: Offers in the dialogs

    /// `.answerOfferLocally`: a re-INVITE or UPDATE to one of our anchored sessions gets our
    /// answer with the same port (RFC 3264 §8); the session follows the new address and
    /// direction (hold/unhold).
    func answerOffer(_ request: SIPRequest, call: Call, fromCaller: Bool, from peer: SIPPeer, transaction: ServerTransactionID) {
        guard let anchor = call.anchor, let media,
              let session = fromCaller ? anchor.callerSession : anchor.legSession else {
            try? layer.respond(SIPResponse(to: request, statusCode: 491), on: transaction)
            return
        }
        anchor.sdpVersion += 1
        var out = SIPResponse(to: request, statusCode: 200)
        out.contacts = [contact(replyingTo: request)]
        if request.body.isEmpty {
            // No offer: offer what we have; the ACK answers (the stream stays as it is).
            let offer = SDPNegotiator.makeOffer(localAddress: media.address, localPort: session.localPort,
                                                laws: [session.configuration.law], sessionVersion: String(anchor.sdpVersion))
            out.body = Array(((try? SDPCodec.serialize(offer)) ?? "").utf8)
            out.contentType = "application/sdp"
        } else {
            guard let text = String(bytes: request.body, encoding: .utf8), let offer = try? SDPCodec.parse(text) else {
                try? layer.respond(SIPResponse(to: request, statusCode: 488), on: transaction)
                return
            }
            switch SDPNegotiator.answer(offer: offer, localAddress: media.address, localPort: session.localPort,
                                       sessionVersion: String(anchor.sdpVersion)) {
            case .success(let answer):
                let m = answer.media
                let unspecified = m.remoteAddress == "0.0.0.0" || m.remoteAddress == "::" || m.remotePort == 0
                let remote = unspecified ? nil : try? SocketAddress(ipAddress: m.remoteAddress, port: m.remotePort)
                session.update(remote: remote, direction: m.direction)
                out.body = Array(((try? SDPCodec.serialize(answer.description)) ?? "").utf8)
                out.contentType = "application/sdp"
                callLogger(call).info("re-offer answered locally", metadata: ["direction": "\(m.direction.rawValue)",
                                                                              "from": "\(fromCaller ? "caller" : "callee")"])
            case .failure(let failure):
                var refusal = SIPResponse(to: request, statusCode: 488)
                refusal.headers.add("Warning", "\(failure.warningCode) \(media.address) \"\(failure.reason)\"")
                try? layer.respond(refusal, on: transaction)
                return
            }
        }
        try? layer.respond(out, on: transaction)
        // Target refresh (RFC 3261 §12.2.2): the requester's new Contact is its target now.
        if fromCaller { call.inbound.dialog.refreshTarget(from: request.contacts) } else {
            call.winner?.dialog?.refreshTarget(from: request.contacts)
        }
        guard request.method == .invite, let tag = request.to.tag else { return }
        // §13.3.1.4: a 2xx to a re-INVITE is ours to retransmit until the ACK, like the first.
        call.reinvite2xx[tag]?.stop()
        let destination = TransactionLayer.responseDestination(for: request, receivedFrom: peer)
        call.reinvite2xx[tag] = retransmitUntilAcked(out, to: destination, localTag: tag) { [weak self, weak call] in
            guard let self, let call else { return }
            call.reinvite2xx[tag] = nil
            self.callLogger(call).warning("no ACK for our 2xx to a re-INVITE")
        }
    }

    // MARK: Ending

    /// `.closeMedia`: sessions closed (with their packet-clock figures), the relay stopped.
    func releaseAnchor(_ call: Call) {
        guard let anchor = call.anchor else { return }
        anchor.relay?.stop()
        anchor.relay = nil
        let log = callLogger(call)
        for session in anchor.sessions {
            // Packet-clock figures per session (bench/ivr reads them from the log).
            session.statistics().whenSuccess { stats in
                log.info("rtp session closed", metadata: [
                    "rtp.port": "\(session.localPort)", "rtp.sent": "\(stats.packetsSent)", "rtp.received": "\(stats.packetsReceived)", "rtp.relayed": "\(stats.packetsRelayed)",
                    "rtp.ticks": "\(stats.ticks)", "rtp.late_ticks": "\(stats.lateTicks)",
                    "rtp.max_late_us": "\(stats.maxLatenessNanoseconds / 1000)",
                ])
            }
            session.close()
        }
        anchor.callerSession = nil
        anchor.legSession = nil
    }
}
