import Dialplan
import Foundation
import Logging
import Media
import SIPTransaction

/// IVR menus on anchored calls: the engine drives each menu's `IVRMenuMachine` (prompt,
/// digits from RFC 4733 or SIP INFO, input timeout, retries with the invalid-input prompt)
/// and performs what it decides: plays prompts, runs its input timer, and once it is decided
/// resumes the routing walk at the menu with its entries (`RouteContinuation`): the same
/// walk `switchboard route --digits` runs, so the engine and the dry-run agree, without
/// routing the call again from the top.
extension CallEngine {
    func startIVR(_ call: Call, planName: String) {
        guard let anchor = call.anchor else { return }
        guard let plan = call.table?.accounts[call.account]?.plans[planName], case .ivr(let ivr) = plan.kind else {
            callLogger(call).error("IVR plan not found in the call's table", metadata: ["plan": "\(planName)"])
            hangUp(call, reason: .error, status: 500)
            return
        }
        anchor.stage = .ivr
        let run = IVRRun(name: planName, plan: ivr)
        anchor.ivr = run
        callLogger(call).info("IVR menu", metadata: ["plan": "\(planName)"])
        driveMenu(call, run) { $0.start() }
    }

    /// A key from RTP (RFC 4733) or SIP INFO.
    func receiveDigit(_ call: Call, _ digit: DTMFDigit) {
        guard call.state != .ended, let run = call.anchor?.ivr, let key = digit.character else { return }
        callLogger(call).info("DTMF", metadata: ["digit": "\(key)"])
        driveMenu(call, run) { $0.digit(key) }
    }

    /// Feeds the menu of `run` one event and performs its actions, while `run` is still the
    /// call's menu (a prompt end or timer of a menu already left is dropped).
    private func driveMenu(_ call: Call, _ run: IVRRun, _ event: (inout IVRMenuMachine) -> [IVRMenuMachine.Action]) {
        guard call.state != .ended, let anchor = call.anchor, anchor.ivr === run else { return }
        let round = run.menu.generation
        let actions = event(&run.menu)
        if round > 0, run.menu.generation > round {
            callLogger(call).info("IVR: no valid choice, menu again",
                                  metadata: ["entry": "\(run.menu.entries.last ?? "")", "attempt": "\(run.menu.entries.count)"])
        }
        for action in actions {
            switch action {
            case .play(let prompt, let generation):
                guard let media, let path = prompt == .menu ? run.plan.prompt : run.plan.invalidPrompt else { continue }
                play(call, media.prompts.prompt(path), name: path, loop: false) { [weak self, weak call] result in
                    guard let self, let call, result == .finished else { return }
                    self.driveMenu(call, run) { $0.promptFinished(prompt, generation: generation) }
                }
            case .stopPlayback:
                anchor.playing = nil
                anchor.callerSession?.stopPlayback()
            case .startInputTimer(let generation, let delay):
                run.timer?.cancel()
                run.timer = clock.schedule(after: delay) { [weak self, weak call] in
                    guard let self, let call else { return }
                    self.callLogger(call).info("IVR input timeout", metadata: ["digits": "\(run.menu.buffer)"])
                    self.driveMenu(call, run) { $0.timerFired(generation: generation) }
                }
            case .cancelInputTimer:
                run.timer?.cancel()
                run.timer = nil
            case .decide(let entries):
                resolveIVR(call, run, entries: entries)
            }
        }
    }

    /// The menu is decided: resume the routing walk at this menu with its entries, and go on
    /// with what it rings.
    private func resolveIVR(_ call: Call, _ run: IVRRun, entries: [String]) {
        guard let anchor = call.anchor else { return }
        anchor.ivr = nil
        anchor.digits += entries
        let menu = anchor.resolvedIVRs
        anchor.resolvedIVRs += 1
        anchor.playing = nil
        anchor.callerSession?.stopPlayback()
        var route = call.route
        if let continuation = call.continuations.first(where: { $0.attempt == call.attemptIndex && $0.menu == menu }) {
            let resumed = continuation.resume(entries: entries)
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
        callLogger(call).info("IVR choice", metadata: ["plan": "\(run.name)", "entries": "\(entries)",
                                                       "choice": "\(decision?.choice ?? "")", "reason": "\(decision?.reason ?? "")"])
        call.route = route
        call.groupIndex = -1
        advance(call)
    }
}
