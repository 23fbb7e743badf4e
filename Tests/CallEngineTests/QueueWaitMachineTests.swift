import Testing
@testable import CallEngine

/// One caller's stay in a queue on its state machine alone (issue 12 items 1 and 2): offers
/// and their ring timeout, the pause between rounds, max-wait, position announcements, the
/// answer and the caller leaving; stale timers of an earlier offer. The queue's shared
/// state (who is free, the strategy) is the engine's and is not here. Coverage table:
/// docs/call-state-machine.md.
@Suite struct QueueWaitMachineTests {
    typealias Wait = QueueWaitMachine

    static func wait(announce: Bool = true) -> Wait {
        Wait(maxWait: .seconds(60), agentTimeout: .seconds(15), announceEvery: announce ? .seconds(30) : nil)
    }

    @Test func enteringPlaysHoldArmsTheTimersAndDispatches() {
        var w = Self.wait()
        #expect(w.timerFired(.maxWait) == [], "nothing before the caller is in the line")
        #expect(w.entered() == [.playHold, .startTimer(.position, after: .seconds(30)), .startTimer(.maxWait, after: .seconds(60)),
                                .dispatch])
        #expect(w.state == .waiting(.none, .hold))
        #expect(w.entered() == [], "entered once")
        var quiet = Self.wait(announce: false)
        #expect(quiet.entered() == [.playHold, .startTimer(.maxWait, after: .seconds(60)), .dispatch])
    }

    /// An agent rings for agent-timeout and does not answer: its legs are cancelled, the
    /// agents freed and the next offered; the first offer's timer is stale after that.
    @Test func anUnansweredOfferTimesOutAndTheNextAgentIsOffered() {
        var w = Self.wait()
        _ = w.entered()
        #expect(w.offered(legs: 1) == [.startTimer(.agent(offer: 1), after: .seconds(15))])
        #expect(w.offer == .ringing(offer: 1))
        #expect(w.offered(legs: 1) == [], "one offer at a time")
        #expect(w.everyFreeAgentTried() == [], "not while agents ring")
        #expect(w.timerFired(.agent(offer: 1)) == [.cancelAgentLegs(.agentNoAnswer), .releaseRingingAgents, .dispatch])
        #expect(w.offer == Wait.Offer.none)
        #expect(w.offered(legs: 2) == [.startTimer(.agent(offer: 2), after: .seconds(15))])
        #expect(w.timerFired(.agent(offer: 1)) == [], "the first offer's timer is stale")
        // Both legs of offer 2 end (busy): agents back, the line dispatched again.
        #expect(w.agentLegsEnded() == [.cancelTimer(.agent(offer: 2)), .releaseRingingAgents, .dispatch])
        // The cancelled legs of offer 1 end later: nothing ringing to cancel.
        #expect(w.agentLegsEnded() == [.releaseRingingAgents, .dispatch])
    }

    /// No INVITE could be sent: look again shortly. Every free agent tried: a pause, then a
    /// new round; an agent freed during the pause is offered at once and the pause ends.
    @Test func redispatchAndTheRoundPause() {
        var w = Self.wait()
        _ = w.entered()
        #expect(w.offered(legs: 0) == [.startTimer(.redispatch, after: .milliseconds(100))])
        #expect(w.timerFired(.redispatch) == [.dispatch])
        #expect(w.everyFreeAgentTried() == [.startTimer(.retry, after: .seconds(1))])
        #expect(w.offer == .pausing)
        #expect(w.everyFreeAgentTried() == [], "one pause at a time")
        #expect(w.timerFired(.redispatch) == [], "no redispatch during the pause")
        #expect(w.timerFired(.retry) == [.resetTriedAgents, .dispatch])
        #expect(w.timerFired(.retry) == [], "stale")
        _ = w.everyFreeAgentTried()
        #expect(w.offered(legs: 1) == [.cancelTimer(.retry), .startTimer(.agent(offer: 1), after: .seconds(15))])
        #expect(w.timerFired(.retry) == [])
    }

    /// Max-wait while an agent rings: the agent legs are cancelled (queue-timeout), every
    /// other timer stopped, and the call fails over; later events change nothing.
    @Test func maxWaitWhileAnAgentRingsFailsOver() {
        var w = Self.wait()
        _ = w.entered()
        _ = w.offered(legs: 1)
        let actions = w.timerFired(.maxWait)
        #expect(actions.first == .cancelAgentLegs(.queueTimeout))
        #expect(actions.last == .failOver)
        let cancelled: [Wait.TimerID] = actions.compactMap { if case .cancelTimer(let id) = $0 { id } else { nil } }
        #expect(Set(cancelled) == Set([Wait.TimerID.redispatch, .position, .agent(offer: 1)]))
        #expect(w.state == .timedOut)
        #expect(w.timerFired(.agent(offer: 1)) == [])
        #expect(w.agentAnswered() == [])
        #expect(w.callerLeft() == [])
        #expect(w.announcementFinished() == [])
    }

    /// An agent answering stops every timer of the wait, the pause's too.
    @Test func anAnswerEndsTheWait() {
        var w = Self.wait()
        _ = w.entered()
        _ = w.offered(legs: 1)
        #expect(w.agentAnswered() == [.cancelTimer(.maxWait), .cancelTimer(.redispatch), .cancelTimer(.position),
                                      .cancelTimer(.agent(offer: 1))])
        #expect(w.state == .answered)
        #expect(w.timerFired(.maxWait) == [])
        #expect(w.offered(legs: 1) == [])

        var paused = Self.wait()
        _ = paused.entered()
        _ = paused.everyFreeAgentTried()
        #expect(paused.agentAnswered().contains(.cancelTimer(.retry)))
    }

    /// The caller hangs up while queued (during an announcement): every timer stops; an
    /// agent's 2xx after that is the anchored call's business, not the line's.
    @Test func theCallerLeavesWhileQueued() {
        var w = Self.wait()
        _ = w.entered()
        #expect(w.timerFired(.position) == [.announcePosition])
        #expect(w.state == .waiting(.none, .announcement))
        #expect(w.callerLeft() == [.cancelTimer(.maxWait), .cancelTimer(.redispatch), .cancelTimer(.position)])
        #expect(w.state == .abandoned)
        #expect(w.announcementFinished() == [])
        #expect(w.agentAnswered() == [])
        #expect(w.entered() == [])
    }

    /// Announcements: one at a time, hold music after each (and the next armed); a skipped
    /// one (sounds not loaded) keeps the music and arms the next.
    @Test func positionAnnouncementsBetweenHoldMusic() {
        var w = Self.wait()
        _ = w.entered()
        _ = w.offered(legs: 1)
        #expect(w.announcementFinished() == [], "none playing")
        #expect(w.timerFired(.position) == [.announcePosition])
        #expect(w.timerFired(.position) == [], "one at a time")
        #expect(w.offer == .ringing(offer: 1), "agents keep ringing meanwhile")
        #expect(w.announcementFinished() == [.playHold, .startTimer(.position, after: .seconds(30))])
        #expect(w.state == .waiting(.ringing(offer: 1), .hold))
        _ = w.timerFired(.position)
        #expect(w.announcementSkipped() == [.startTimer(.position, after: .seconds(30))])
        #expect(w.announcementSkipped() == [])
    }
}
