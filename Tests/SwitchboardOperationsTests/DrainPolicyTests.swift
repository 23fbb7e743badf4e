import Logging
import SwitchboardOperations
import Synchronization
import Testing

/// The SIGTERM drain as a policy over any node: refuse new calls, let calls end within the
/// grace, hang up the rest and wait (bounded) for the BYEs' answers.
@Suite struct DrainPolicyTests {
    /// A node whose calls end by themselves after a number of looks (or never), and whose
    /// BYEs are answered after a number of looks (or never): the drain's whole view.
    final class Node: DrainableNode {
        struct State {
            var accepting = true
            var calls: Int
            var endAfterLooks: Int?
            var looks = 0
            var hungUp = 0
            var pendingByes = 0
            var byesAnswerAfterLooks: Int?
            var statusHeads: [String] = []
        }
        let state: Mutex<State>

        init(calls: Int, endAfterLooks: Int?, byesAnswerAfterLooks: Int? = 0) {
            state = Mutex(State(calls: calls, endAfterLooks: endAfterLooks, byesAnswerAfterLooks: byesAnswerAfterLooks))
        }

        func stopAcceptingCalls() async -> Int { state.withLock { $0.accepting = false; return $0.calls } }
        func callsInProgress() async -> Int {
            state.withLock { s in
                s.looks += 1
                if let end = s.endAfterLooks, s.looks >= end { s.calls = 0 }
                return s.calls
            }
        }
        func hangUpEveryCall() async {
            state.withLock { s in s.hungUp = s.calls; s.pendingByes = s.calls * 2; s.calls = 0; s.looks = 0 }
        }
        func pendingClientTransactions() async -> Int {
            state.withLock { s in
                s.looks += 1
                if let after = s.byesAnswerAfterLooks, s.looks > after { s.pendingByes = 0 }
                return s.pendingByes
            }
        }
        func statusLine(head: String) async -> String { state.withLock { $0.statusHeads.append(head) }; return head }
    }

    let logger = Logger(label: "drain-test")

    @Test func withNoCallsTheDrainEndsAtOnce() async {
        let node = Node(calls: 0, endAfterLooks: nil)
        let outcome = await DrainPolicy(grace: .seconds(3600)).run(node, logger: logger)
        #expect(outcome == .init(callsAtStart: 0, hungUp: 0))
        #expect(node.state.withLock { !$0.accepting })
    }

    @Test func callsThatEndWithinTheGraceAreNotHungUp() async {
        let node = Node(calls: 3, endAfterLooks: 4)
        var policy = DrainPolicy(grace: .seconds(3600))
        policy.poll = .milliseconds(1)
        let outcome = await policy.run(node, logger: logger)
        #expect(outcome == .init(callsAtStart: 3, hungUp: 0))
        #expect(node.state.withLock { $0.hungUp } == 0)
    }

    @Test func callsLeftWhenTheGraceIsOverAreHungUpAndTheirByesAwaited() async {
        let node = Node(calls: 2, endAfterLooks: nil, byesAnswerAfterLooks: 3)
        var policy = DrainPolicy(grace: .zero)
        policy.poll = .milliseconds(1)
        // The BYEs are answered at the third look: only that may end the wait, never the
        // wall clock (a busy machine once took the default 2 s for fewer than three looks).
        policy.byeWait = .seconds(3600)
        let outcome = await policy.run(node, logger: logger)
        #expect(outcome == .init(callsAtStart: 2, hungUp: 2))
        #expect(node.state.withLock { $0.hungUp } == 2)
        #expect(node.state.withLock { $0.pendingByes } == 0)
    }

    @Test func byesThatAreNeverAnsweredDoNotHoldTheShutdown() async {
        let node = Node(calls: 1, endAfterLooks: nil, byesAnswerAfterLooks: nil)
        var policy = DrainPolicy(grace: .zero)
        policy.poll = .milliseconds(1)
        policy.byeWait = .milliseconds(20)
        let outcome = await policy.run(node, logger: logger)
        #expect(outcome.hungUp == 1)
        #expect(node.state.withLock { $0.pendingByes } == 2)  // still unanswered: we left anyway
    }
}
