import Dialplan
import Foundation
import Logging
import Media
import SIPTransaction

/// IVR menus on anchored calls: play the prompt, collect digits (RFC 4733 from the caller's
/// RTP session, or SIP INFO), time out, retry with the invalid-input prompt, take the default.
/// The choice is applied by resuming the routing walk at the menu with its entries
/// (`RouteContinuation`): the same walk `switchboard route --digits` runs, so the engine and
/// the dry-run agree, without routing the call again from the top.
extension CallEngine {
    func startIVR(_ call: Call, planName: String) {
        guard let anchor = call.anchor else { return }
        guard let plan = call.table?.accounts[call.account]?.plans[planName], case .ivr(let ivr) = plan.kind else {
            callLogger(call).error("IVR plan not found in the call's table", metadata: ["plan": "\(planName)"])
            hangUp(call, reason: .error, status: 500)
            return
        }
        anchor.stage = .ivr
        anchor.ivr = IVRRun(name: planName, plan: ivr)
        callLogger(call).info("IVR menu", metadata: ["plan": "\(planName)"])
        playMenu(call, invalid: false)
    }

    func playMenu(_ call: Call, invalid: Bool) {
        guard let anchor = call.anchor, let run = anchor.ivr, let media else { return }
        run.generation += 1
        run.buffer = ""
        run.collecting = true  // barge-in: keys pressed during the prompt count
        run.timer?.cancel()
        let generation = run.generation
        let menu = media.prompts.prompt(run.plan.prompt)
        let afterMenu: (PlaybackResult) -> Void = { [weak self, weak call] result in
            guard let self, let call, result == .finished, let run = call.anchor?.ivr, run.generation == generation else { return }
            self.armInputTimer(call, run)
        }
        if invalid, let path = run.plan.invalidPrompt {
            play(call, media.prompts.prompt(path), name: path, loop: false) { [weak self, weak call] result in
                guard let self, let call, result == .finished, call.anchor?.ivr?.generation == generation else { return }
                self.play(call, menu, name: run.plan.prompt, loop: false, completion: afterMenu)
            }
        } else {
            play(call, menu, name: run.plan.prompt, loop: false, completion: afterMenu)
        }
    }

    func armInputTimer(_ call: Call, _ run: IVRRun) {
        run.timer?.cancel()
        run.timer = clock.schedule(after: .seconds(max(1, run.plan.timeout))) { [weak self, weak call] in
            guard let self, let call, let run = call.anchor?.ivr else { return }
            self.callLogger(call).info("IVR input timeout", metadata: ["digits": "\(run.buffer)"])
            self.completeEntry(call, run.buffer)
        }
    }

    /// A key from RTP (RFC 4733) or SIP INFO.
    func receiveDigit(_ call: Call, _ digit: DTMFDigit) {
        guard call.state != .ended, let anchor = call.anchor, let run = anchor.ivr, run.collecting,
              let key = digit.character else { return }
        callLogger(call).info("DTMF", metadata: ["digit": "\(key)"])
        if run.buffer.isEmpty {
            anchor.playing = nil
            anchor.callerSession?.stopPlayback()  // barge-in
        }
        if let terminator = run.plan.terminator, String(key) == terminator {
            completeEntry(call, run.buffer + terminator)
            return
        }
        run.buffer.append(key)
        if run.buffer.count >= run.plan.maxDigits {
            completeEntry(call, run.buffer)
        } else {
            armInputTimer(call, run)  // inter-digit timeout
        }
    }

    func completeEntry(_ call: Call, _ entry: String) {
        guard let anchor = call.anchor, let run = anchor.ivr else { return }
        run.collecting = false
        run.timer?.cancel()
        run.entries.append(entry)
        run.attempt += 1
        var key = entry
        if let terminator = run.plan.terminator, key.hasSuffix(terminator) { key.removeLast(terminator.count) }
        if run.plan.options[key] != nil || run.attempt >= run.plan.attempts {
            resolveIVR(call)
        } else {
            callLogger(call).info("IVR: no valid choice, menu again", metadata: ["entry": "\(entry)", "attempt": "\(run.attempt)"])
            playMenu(call, invalid: !entry.isEmpty)
        }
    }

    /// The menu is decided: resume the routing walk at this menu with its entries, and go on
    /// with what it rings.
    func resolveIVR(_ call: Call) {
        guard let anchor = call.anchor, let run = anchor.ivr else { return }
        anchor.ivr = nil
        anchor.digits += run.entries
        let menu = anchor.resolvedIVRs
        anchor.resolvedIVRs += 1
        anchor.playing = nil
        anchor.callerSession?.stopPlayback()
        var route = call.route
        if let continuation = call.continuations.first(where: { $0.attempt == call.attemptIndex && $0.menu == menu }) {
            let resumed = continuation.resume(entries: run.entries)
            route.attempts = resumed.attempts
            call.continuations = resumed.continuations
        } else if let table = call.table {
            // No continuation for this menu (cannot happen for a walk the engine started):
            // route again with every entry so far, as before.
            route = Router.route(to: call.route.dialled, from: call.route.caller.input.isEmpty ? nil : call.route.caller.input,
                                 at: call.startedAt, digits: anchor.digits, table: table, defaultRegion: configuration.defaultRegion)
        }
        guard RouteOutcome(route) == .routed, route.attempts.count > call.attemptIndex else {
            hangUp(call, reason: .error, status: 500)
            return
        }
        let decision = route.attempts[call.attemptIndex].decisions.filter { PlanKind(keyword: $0.kind) == .ivr }.dropFirst(anchor.resolvedIVRs - 1).first
        callLogger(call).info("IVR choice", metadata: ["plan": "\(run.name)", "entries": "\(run.entries)",
                                                       "choice": "\(decision?.choice ?? "")", "reason": "\(decision?.reason ?? "")"])
        call.route = route
        call.groupIndex = -1
        advance(call)
    }
}
