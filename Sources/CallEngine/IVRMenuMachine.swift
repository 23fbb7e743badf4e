import Dialplan

/// One IVR menu as a value (issue 12 item 1): the prompt playing, the keys collected (with
/// barge-in), the input timeout, the retries with the invalid-input prompt, and the decision.
/// Events in (`start`, `promptFinished`, `digit`, `timerFired`), `Action`s out; no clock, no
/// media, no logging. The engine plays the prompts, runs the timer, and on `.decide` resumes
/// the routing walk at this menu with the entries (`RouteContinuation`), never from the top.
struct IVRMenuMachine: Equatable, Sendable {
    enum Prompt: Equatable, Sendable {
        case menu
        /// The plan's `invalid-prompt`, played before the menu again after a wrong entry.
        case invalid
    }

    enum State: Equatable, Sendable {
        /// Created; `start` plays the menu.
        case idle
        /// A prompt plays; keys pressed meanwhile count (barge-in stops it).
        case prompting(Prompt)
        /// The menu played (or a key came): waiting for the next key until the input timer.
        case collecting
        /// Decided: one entry per round ("" for none), the last the choice (or the default's).
        case decided([String])
    }

    enum Action: Equatable, Sendable {
        /// Play `prompt` to the caller; its end comes back as `promptFinished(prompt, generation:)`.
        case play(Prompt, generation: Int)
        /// The caller pressed a key while a prompt played: stop it.
        case stopPlayback
        /// (Re)arm the one input timer: the wait after the menu, or between keys.
        case startInputTimer(generation: Int, after: Duration)
        case cancelInputTimer
        /// The menu is decided: resume the routing walk with `entries`.
        case decide(entries: [String])
    }

    /// Keys that choose an option (the plan's `options`).
    let choices: Set<String>
    let hasInvalidPrompt: Bool
    let timeout: Duration
    let rounds: Int
    let maxDigits: Int
    let terminator: String?

    private(set) var state: State = .idle
    /// The keys of the round under way.
    private(set) var buffer = ""
    private(set) var entries: [String] = []
    /// Bumped at each menu play: a stale prompt end or timer of an earlier round is ignored.
    private(set) var generation = 0

    init(choices: Set<String>, hasInvalidPrompt: Bool, timeout: Duration, rounds: Int, maxDigits: Int, terminator: String?) {
        self.choices = choices
        self.hasInvalidPrompt = hasInvalidPrompt
        self.timeout = timeout
        self.rounds = max(1, rounds)
        self.maxDigits = max(1, maxDigits)
        self.terminator = terminator.flatMap { $0.isEmpty ? nil : $0 }
    }

    init(plan: IVRPlan) {
        self.init(choices: Set(plan.options.keys), hasInvalidPrompt: plan.invalidPrompt != nil,
                  timeout: .seconds(max(1, plan.timeout)), rounds: plan.attempts, maxDigits: plan.maxDigits,
                  terminator: plan.terminator)
    }

    mutating func start() -> [Action] {
        guard state == .idle else { return [] }
        return playMenu(invalid: false)
    }

    /// A prompt played to its end (not stopped).
    mutating func promptFinished(_ prompt: Prompt, generation: Int) -> [Action] {
        guard generation == self.generation, state == .prompting(prompt) else { return [] }
        switch prompt {
        case .invalid:
            state = .prompting(.menu)
            return [.play(.menu, generation: generation)]
        case .menu:
            state = .collecting
            return [.startInputTimer(generation: generation, after: timeout)]
        }
    }

    /// A key from RTP (RFC 4733) or SIP INFO.
    mutating func digit(_ key: Character) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .prompting: actions.append(.stopPlayback)  // barge-in
        case .collecting: break
        case .idle, .decided: return []
        }
        state = .collecting
        if let terminator, String(key) == terminator {
            return actions + complete(buffer + terminator)
        }
        buffer.append(key)
        if buffer.count >= maxDigits { return actions + complete(buffer) }
        actions.append(.startInputTimer(generation: generation, after: timeout))  // inter-digit timeout
        return actions
    }

    mutating func timerFired(generation: Int) -> [Action] {
        guard generation == self.generation, state == .collecting else { return [] }
        return complete(buffer)
    }

    private mutating func complete(_ entry: String) -> [Action] {
        entries.append(entry)
        var key = entry
        if let terminator, key.hasSuffix(terminator) { key.removeLast(terminator.count) }
        if choices.contains(key) || entries.count >= rounds {
            state = .decided(entries)
            return [.cancelInputTimer, .decide(entries: entries)]
        }
        return [.cancelInputTimer] + playMenu(invalid: !entry.isEmpty)
    }

    private mutating func playMenu(invalid: Bool) -> [Action] {
        generation += 1
        buffer = ""
        let prompt: Prompt = invalid && hasInvalidPrompt ? .invalid : .menu
        state = .prompting(prompt)
        return [.play(prompt, generation: generation)]
    }
}
