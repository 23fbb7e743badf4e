import Foundation
import Testing
@testable import Dialplan

/// Issue 15: an agent may be listed without a static contact (`bob: ~`): it is reached only
/// where it is registered, and its legs carry no fallback contact.
@Suite struct RegisteredAgentTests {
    @Test func agentWithoutContactLoadsAndRoutesWithoutOne() throws {
        let dir = try TempDialplans(["a.yaml": """
        account: a
        timezone: UTC
        agents:
          bob: ~
          carol: "sip:carol@pbx.example"
        numbers:
          "+13125550100": { plan: main, source: s }
        plans:
          main:
            ring-all: { targets: ["agent:bob", "agent:carol"], timeout: 20s }
        """])
        defer { dir.cleanup() }
        #expect(dir.diagnostics().isEmpty, "\(dir.diagnostics())")
        let table = try #require(dir.load().table)
        let decision = Router.route(to: "+13125550100", from: nil, at: Date(), table: table)
        let legs = try #require(decision.attempts.first?.groups.first?.legs)
        #expect(legs.map(\.target) == ["agent:bob", "agent:carol"])
        #expect(legs.map(\.contact) == [nil, "sip:carol@pbx.example"])
    }

    @Test func unknownAgentIsStillAnError() throws {
        let dir = try TempDialplans(["a.yaml": """
        account: a
        timezone: UTC
        agents:
          bob: ~
        numbers:
          "+13125550100": { plan: main, source: s }
        plans:
          main:
            ring-all: { targets: ["agent:bobby"] }
        """])
        defer { dir.cleanup() }
        #expect(dir.diagnostics().contains { $0.contains("unknown agent 'bobby'") }, "\(dir.diagnostics())")
    }
}
