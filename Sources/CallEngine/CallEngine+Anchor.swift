import Dialplan
import Foundation
import Logging
import Media
import NIOCore
import SIPMessage
import SIPTransaction

/// Calls whose media the daemon anchors (design.md: IVR and queue answer the caller with our
/// own SDP; whoever answers later is bridged with an `RTPRelay`).
extension CallEngine {
    enum AnchoredStep { case proceed, handled, skip }

    /// Called by `advance` for each attempt: runs the attempt's IVR menus and queue, and
    /// readies anchored media before an ordinary plan rings after them.
    func anchoredStep(_ call: Call, _ attempt: RouteDecision.Attempt) -> AnchoredStep {
        let needsMedia = attempt.decisions.contains { PlanKind(keyword: $0.kind)?.anchorsMedia ?? false }
        guard needsMedia || call.anchor != nil else { return .proceed }
        guard let media else {
            callLogger(call).warning("IVR and queue plans need media (no media configured); failing over",
                                     metadata: ["plan": "\(attempt.decisions.last?.plan ?? "")"])
            return .skip
        }
        guard let anchor = call.anchor else {
            call.anchor = MediaAnchor()
            answerCaller(call, media: media)
            return .handled
        }
        guard anchor.callerAnswered else { return .handled }  // our 200 is on its way
        if anchor.attemptSeen != call.attemptIndex {
            anchor.attemptSeen = call.attemptIndex
            anchor.resolvedIVRs = 0
            anchor.queueStarted = false
        }
        var ordinal = 0
        for decision in attempt.decisions where PlanKind(keyword: decision.kind) == .ivr {
            if ordinal == anchor.resolvedIVRs {
                if anchor.ivr == nil { startIVR(call, planName: decision.plan) }
                return .handled
            }
            ordinal += 1
        }
        let queueDecision = attempt.decisions.first { PlanKind(keyword: $0.kind) == .queue }
        let rings = queueDecision != nil || call.groupIndex + 1 < attempt.groups.count
        // Whatever rings next gets our offer from session B, so start it first.
        if rings, anchor.legSession == nil {
            startLegSession(call, media: media)
            return .handled
        }
        if let decision = queueDecision {
            if !anchor.queueStarted {
                anchor.queueStarted = true
                startQueue(call, planName: decision.plan, attempt: attempt)
            } else {
                queueLegsEnded(call)
            }
            return .handled
        }
        // An ordinary plan rings: the legs get our offer from session B; the caller hears ringback.
        guard rings else { return .proceed }
        anchor.stage = .ringing
        play(call, Prompt.ringback, name: "ringback", loop: true)
        return .proceed
    }

    // MARK: Answering the caller

    /// 200 OK with our SDP answer (or our offer, for a late-offer INVITE), from a new RTP session.
    func answerCaller(_ call: Call, media: MediaServices) {
        let invite = call.inbound.invite
        var configuration = RTPSession.Configuration()
        configuration.bindAddress = media.address
        var answer: SDPNegotiator.Answer?
        if !invite.body.isEmpty {
            guard let text = String(bytes: invite.body, encoding: .utf8), let offer = try? SDPCodec.parse(text) else {
                rejectOffer(call, warning: "399 \(configuration.bindAddress) \"SDP offer cannot be parsed\"")
                return
            }
            switch SDPNegotiator.answer(offer: offer, localAddress: media.address, localPort: 9) {
            case .success(let a):
                answer = a
                configuration = RTPSession.Configuration(negotiated: a.media, bindAddress: media.address)
            case .failure(let failure):
                rejectOffer(call, warning: "\(failure.warningCode) \(media.address) \"\(failure.reason)\"")
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

    private func rejectOffer(_ call: Call, warning: String) {
        var out = SIPResponse(to: call.inbound.invite, statusCode: 488, toTag: call.inbound.localTag)
        out.headers.add("Warning", warning)
        call.inbound.sentFinal = true
        try? layer.respond(out, on: call.inbound.transaction)
        callLogger(call).notice("caller's SDP refused", metadata: ["warning": "\(warning)"])
        endCall(call, status: 488, reason: .rejected)
    }

    func callerSessionStarted(_ call: Call, _ result: Result<RTPSession, any Error>, answer: SDPNegotiator.Answer?,
                              media: MediaServices) {
        let session: RTPSession
        switch result {
        case .success(let s): session = s
        case .failure(let error):
            callLogger(call).error("no RTP session for the caller", metadata: ["error": "\(error)"])
            if call.state != .ended {
                respondToCaller(call, status: 503)
                endCall(call, status: 503, reason: .error)
            }
            return
        }
        guard call.state != .ended, let anchor = call.anchor else {
            session.close()
            return
        }
        anchor.callerSession = session
        var sdp: SessionDescription
        if var answer {
            answer.description.media[answer.media.mediaIndex].port = session.localPort
            sdp = answer.description
        } else {
            anchor.callerOfferedLate = true
            sdp = SDPNegotiator.makeOffer(localAddress: media.address, localPort: session.localPort, laws: [.ulaw])
        }
        anchor.callerSDP = sdp
        let inbound = call.inbound
        var out = SIPResponse(to: inbound.invite, statusCode: 200, toTag: inbound.localTag)
        out.contacts = [contact]
        out.recordRoutes = inbound.invite.recordRoutes  // RFC 3261 §12.1.1
        out.headers.add("Allow", B2BUA.allow)
        out.contentType = "application/sdp"
        out.body = Array(((try? SDPCodec.serialize(sdp)) ?? "").utf8)
        inbound.sentFinal = true
        anchor.callerAnswered = true
        do { try layer.respond(out, on: inbound.transaction) } catch {
            callLogger(call).debug("200 to caller not sent", metadata: ["error": "\(error)"])
        }
        start2xxRetransmission(call, out)
        emit(CallLegEvent(legID: inbound.id, callID: call.id, kind: .answered, time: Date()))
        callLogger(call).info("caller answered by the daemon", metadata: ["rtp.port": "\(session.localPort)"])
        let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
        session.onDTMF { digit in bound.run { engine, call in engine.receiveDigit(call, digit) } }
        session.setMediaTimeout(media.timeout) {
            bound.run { engine, call in engine.mediaTimedOut(call) }
        }
        call.maxDurationTimer = clock.schedule(after: configuration.maxCallDuration) { [weak self, weak call] in
            guard let self, let call else { return }
            self.hangUp(call, reason: .maxDuration, status: 200)
        }
        advance(call)
    }

    func mediaTimedOut(_ call: Call) {
        guard call.state != .ended else { return }
        callLogger(call).notice("no RTP for the media timeout: ending the call")
        hangUp(call, reason: .mediaTimeout, status: 200)
    }

    /// Session B: our offer to every outbound leg of this call.
    func startLegSession(_ call: Call, media: MediaServices) {
        guard let anchor = call.anchor, !anchor.startingLegSession else { return }
        anchor.startingLegSession = true
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
                        call.anchor?.startingLegSession = false
                        engine.hangUp(call, reason: .error, status: 500)
                        return
                    }
                    guard call.state != .ended, let anchor = call.anchor else { session.close(); return }
                    anchor.legSession = session
                    let offer = SDPNegotiator.makeOffer(localAddress: media.address, localPort: session.localPort, laws: [law])
                    anchor.legOffer = offer
                    anchor.legOfferBody = Array(((try? SDPCodec.serialize(offer)) ?? "").utf8)
                    engine.advance(call)
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

    // MARK: Bridging

    /// A leg answered an anchored call: ACK it, point session B at its SDP, and relay A ↔ B.
    func bridgeAnchored(_ call: Call, _ leg: OutboundLeg, _ response: SIPResponse) {
        guard let anchor = call.anchor, let dialog = leg.dialog else { return }
        let ack = dialog.makeRequest(.ack, cseq: leg.invite.cSeq.sequence, via: via(for: dialog.peer), contact: contact)
        leg.ackSent = ack
        layer.sendAck(ack, to: dialog.peer)
        call.state = .confirmed
        anchor.stage = .bridged
        anchor.ivr?.timer?.cancel()
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
        anchoredQueueAnswered(call, leg)
        anchor.playing = nil
        anchor.callerSession?.stopPlayback()
        if let a = anchor.callerSession, let b = anchor.legSession, let media {
            let relay = RTPRelay(a, b)
            anchor.relay = relay
            let bound = LoopBound(value: (self, call), eventLoop: media.eventLoop)
            relay.start(mediaTimeout: media.timeout) { _ in bound.run { engine, call in engine.mediaTimedOut(call) } }
        }
        callLogger(call).info("bridged with anchored media", metadata: ["target": "\(leg.target)"])
    }

    /// The caller's ACK for our 200 (with the answer to our offer on a late-offer call), or
    /// for a re-INVITE we answered; a callee's ACK for a re-INVITE we answered.
    func anchoredAck(_ call: Call, _ ack: SIPRequest, fromCaller: Bool) {
        guard fromCaller, let anchor = call.anchor else { return }
        stopInitial2xx(call, ackedBy: ack)
        if anchor.callerOfferedLate, !ack.body.isEmpty, let offer = anchor.callerSDP,
           let text = String(bytes: ack.body, encoding: .utf8), let answer = try? SDPCodec.parse(text) {
            anchor.callerOfferedLate = false
            switch SDPNegotiator.accept(answer: answer, to: offer) {
            case .success(let negotiated):
                let remote = try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
                anchor.callerSession?.update(remote: remote, direction: negotiated.direction)
            case .failure(let failure):
                callLogger(call).warning("caller's answer in ACK not usable: ending the call", metadata: ["error": "\(failure)"])
                hangUp(call, reason: .rejected, status: 488)
            }
        }
    }

    // MARK: In-dialog requests

    /// Requests in either dialog of an anchored call. Re-INVITE and UPDATE are answered here
    /// (hold and unhold change our session), INFO carries DTMF to the IVR, BYE ends both sides.
    func anchoredInDialog(_ request: SIPRequest, call: Call, fromCaller: Bool, from peer: SIPPeer,
                          transaction: ServerTransactionID) -> Bool {
        guard let anchor = call.anchor else { return false }
        if fromCaller {
            if let last = call.inbound.dialog.remoteCSeq, request.cSeq.sequence < last, request.method != .ack {
                try? layer.respond(SIPResponse(to: request, statusCode: 500), on: transaction)
                return true
            }
            call.inbound.dialog.remoteCSeq = request.cSeq.sequence
        } else {
            call.winner?.dialog?.remoteCSeq = request.cSeq.sequence
        }
        switch request.method {
        case .bye:
            try? layer.respond(SIPResponse(to: request, statusCode: 200), on: transaction)
            if fromCaller {
                let reason: CallLegEvent.EndReason = switch anchor.stage {
                case .bridged: .completed
                case .ivr, .answering: .ivrAbandoned
                default: .callerCancelled
                }
                callLogger(call).info("caller hung up", metadata: ["stage": "\(anchor.stage)"])
                for leg in call.liveLegs { cancelLeg(call, leg, reason: nil, endReason: .callerCancelled) }
                if call.winner != nil { sendBye(call, toCaller: false, reason: nil) }
                endCall(call, status: 200, reason: reason)
            } else {
                callLogger(call).info("callee hung up")
                sendBye(call, toCaller: true, reason: nil)
                endCall(call, status: 200, reason: .completed)
            }
        case .invite, .update:
            answerOffer(request, call: call, fromCaller: fromCaller, from: peer, transaction: transaction)
        case .info:
            let body = String(bytes: request.body, encoding: .utf8) ?? ""
            if fromCaller, let type = request.contentType, let digit = SIPInfoDTMF.parse(body: body, contentType: type) {
                try? layer.respond(SIPResponse(to: request, statusCode: 200), on: transaction)
                if anchor.stage == .bridged, let b = anchor.legSession { b.sendDTMF(digit) } else { receiveDigit(call, digit) }
            } else if anchor.stage == .bridged, call.winner?.dialog != nil {
                relay(request, call: call, towardsCaller: !fromCaller, from: peer, serverTransaction: transaction)
            } else {
                try? layer.respond(SIPResponse(to: request, statusCode: 200), on: transaction)
            }
        case .options:
            try? layer.respond(SIPResponse(to: request, statusCode: 200), on: transaction)
        default:
            try? layer.respond(SIPResponse(to: request, statusCode: 501), on: transaction)
        }
        return true
    }

    /// A re-INVITE or UPDATE to one of our anchored sessions: answer its offer with the same
    /// port (RFC 3264 §8), point the session at the new address and direction (hold/unhold).
    func answerOffer(_ request: SIPRequest, call: Call, fromCaller: Bool, from peer: SIPPeer, transaction: ServerTransactionID) {
        guard let anchor = call.anchor, let media,
              let session = fromCaller ? anchor.callerSession : anchor.legSession else {
            try? layer.respond(SIPResponse(to: request, statusCode: 491), on: transaction)
            return
        }
        anchor.sdpVersion += 1
        var out = SIPResponse(to: request, statusCode: 200)
        out.contacts = [contact]
        if request.body.isEmpty {
            // No offer: offer what we have; the ACK answers (ignored: the stream stays as is).
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

    /// Nothing answered after the caller was answered by us: BYE the caller.
    func anchoredGiveUp(_ call: Call, status: Int) {
        stop2xxRetransmission(call)
        sendBye(call, toCaller: true, reason: nil)
        endCall(call, status: 200, reason: call.anchor?.failureReason ?? FinalResponse.endReason(forStatus: status))
    }

    func anchoredHangUp(_ call: Call, reason: CallLegEvent.EndReason) {
        stop2xxRetransmission(call)
        for leg in call.liveLegs { cancelLeg(call, leg, reason: nil, endReason: reason) }
        sendBye(call, toCaller: true, reason: nil)
        if call.winner != nil { sendBye(call, toCaller: false, reason: nil) }
        endCall(call, status: 200, reason: reason)
    }

    /// From `endCall`: sessions closed, timers stopped, the queue left.
    func releaseAnchor(_ call: Call) {
        guard let anchor = call.anchor else { return }
        anchor.ivr?.timer?.cancel()
        anchor.ivr = nil
        anchor.relay?.stop()
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
        leaveQueue(call, ended: true)
        for timer in anchor.queueTimers.values { timer.cancel() }
        anchor.queueTimers = [:]
    }
}
