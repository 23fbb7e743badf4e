import Testing
@testable import CallEngine

/// An IVR menu on its state machine alone (issue 12 items 1 and 2): prompt, barge-in, input
/// and inter-digit timeouts, retries with the invalid-input prompt, stale prompt ends and
/// timers of an earlier round. Coverage table: docs/call-state-machine.md.
@Suite struct IVRMenuMachineTests {
    typealias Menu = IVRMenuMachine

    static func menu(choices: Set<String> = ["1", "2"], invalidPrompt: Bool = true, rounds: Int = 3,
                     maxDigits: Int = 1, terminator: String? = nil) -> Menu {
        Menu(choices: choices, hasInvalidPrompt: invalidPrompt, timeout: .seconds(5), rounds: rounds,
             maxDigits: maxDigits, terminator: terminator)
    }

    /// Nobody presses anything: after each play the input timer runs, the menu plays again
    /// (no invalid prompt for no input), and after the last round the menu is decided with
    /// one empty entry per round (the router then takes the default).
    @Test func noInputReplaysTheMenuThenDecidesWithEmptyEntries() {
        var m = Self.menu(rounds: 2)
        #expect(m.state == .idle)
        #expect(m.timerFired(generation: 0) == [], "no timer before the menu")
        #expect(m.start() == [.play(.menu, generation: 1)])
        #expect(m.start() == [], "started once")
        #expect(m.state == .prompting(.menu))
        #expect(m.promptFinished(.menu, generation: 1) == [.startInputTimer(generation: 1, after: .seconds(5))])
        #expect(m.state == .collecting)
        #expect(m.timerFired(generation: 1) == [.cancelInputTimer, .play(.menu, generation: 2)])
        #expect(m.timerFired(generation: 1) == [], "the first round's timer is stale")
        #expect(m.promptFinished(.menu, generation: 1) == [], "a stale prompt end starts no timer")
        #expect(m.promptFinished(.menu, generation: 2) == [.startInputTimer(generation: 2, after: .seconds(5))])
        #expect(m.timerFired(generation: 2) == [.cancelInputTimer, .decide(entries: ["", ""])])
        #expect(m.state == .decided(["", ""]))
        #expect(m.digit("1") == [], "decided: nothing more")
        #expect(m.timerFired(generation: 2) == [])
    }

    /// A key while the menu plays stops it (barge-in) and, valid, decides at once; the
    /// prompt's end arriving later changes nothing.
    @Test func bargeInWithAValidKey() {
        var m = Self.menu()
        _ = m.start()
        #expect(m.digit("2") == [.stopPlayback, .cancelInputTimer, .decide(entries: ["2"])])
        #expect(m.promptFinished(.menu, generation: 1) == [])
        #expect(m.state == .decided(["2"]))
    }

    /// A wrong key: the invalid-input prompt, then the menu, then the wait; a key during the
    /// invalid prompt counts too. Without an invalid prompt the menu plays again directly.
    @Test func aWrongKeyPlaysTheInvalidPromptThenTheMenu() {
        var m = Self.menu()
        _ = m.start()
        _ = m.promptFinished(.menu, generation: 1)
        #expect(m.digit("9") == [.cancelInputTimer, .play(.invalid, generation: 2)])
        #expect(m.state == .prompting(.invalid))
        #expect(m.promptFinished(.menu, generation: 2) == [], "not the prompt playing")
        #expect(m.promptFinished(.invalid, generation: 2) == [.play(.menu, generation: 2)])
        #expect(m.digit("1") == [.stopPlayback, .cancelInputTimer, .decide(entries: ["9", "1"])])

        var plain = Self.menu(invalidPrompt: false)
        _ = plain.start()
        #expect(plain.digit("7") == [.stopPlayback, .cancelInputTimer, .play(.menu, generation: 2)])
    }

    /// Wrong keys in every round: decided with them all (the router takes the default).
    @Test func wrongKeysEveryRoundDecideAfterTheLast() {
        var m = Self.menu(rounds: 2)
        _ = m.start()
        _ = m.digit("8")
        _ = m.promptFinished(.invalid, generation: 2)
        #expect(m.digit("9") == [.stopPlayback, .cancelInputTimer, .decide(entries: ["8", "9"])])
    }

    /// Multi-digit options: each key re-arms the inter-digit timer; the terminator ends the
    /// entry early (kept in the entry, dropped for the choice); the timer ends it too.
    @Test func multiDigitEntriesWithTerminatorAndInterDigitTimeout() {
        var m = Self.menu(choices: ["12"], maxDigits: 4, terminator: "#")
        _ = m.start()
        #expect(m.digit("1") == [.stopPlayback, .startInputTimer(generation: 1, after: .seconds(5))])
        #expect(m.buffer == "1")
        #expect(m.digit("2") == [.startInputTimer(generation: 1, after: .seconds(5))])
        #expect(m.digit("#") == [.cancelInputTimer, .decide(entries: ["12#"])])

        var timed = Self.menu(choices: ["12"], maxDigits: 4, terminator: "#")
        _ = timed.start()
        _ = timed.promptFinished(.menu, generation: 1)
        _ = timed.digit("1")
        _ = timed.digit("2")
        #expect(timed.timerFired(generation: 1) == [.cancelInputTimer, .decide(entries: ["12"])])
    }

    /// `max-digits` keys end the entry without waiting; a wrong one starts the next round
    /// with an empty buffer.
    @Test func maxDigitsEndsTheEntry() {
        var m = Self.menu(choices: ["42"], maxDigits: 2)
        _ = m.start()
        _ = m.digit("4")
        #expect(m.digit("3") == [.cancelInputTimer, .play(.invalid, generation: 2)])
        #expect(m.buffer == "" && m.entries == ["43"])
        _ = m.promptFinished(.invalid, generation: 2)
        _ = m.promptFinished(.menu, generation: 2)
        _ = m.digit("4")
        #expect(m.digit("2") == [.cancelInputTimer, .decide(entries: ["43", "42"])])
    }
}
