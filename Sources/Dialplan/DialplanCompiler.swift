/// The checks and linking of one account file: cycles and unreachable plans, and the
/// `Plan` objects its numbers route to. Both depend on that file alone, so a reload keeps
/// their results for every file that did not change; the checks that need every file
/// (a number or an account defined twice) are `DialplanIndex`'s.
enum DialplanCompiler {
    /// Cycles through `then:` or nesting are errors (a call would loop
    /// forever); plans no number can reach are warnings (probably a typo).
    static func checkGraph(_ spec: AccountSpec) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let blueprints = Dictionary(spec.plans.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func edges(_ name: String) -> [PlanRef] {
            guard let plan = blueprints[name] else { return [] }
            return plan.refs + (plan.then.map { [$0] } ?? [])
        }
        var state: [String: Int] = [:]  // 1: on the DFS stack, 2: done
        var stack: [String] = []
        var reported = Set<String>()
        func visit(_ name: String) {
            state[name] = 1
            stack.append(name)
            for ref in edges(name) {
                switch state[ref.name] {
                case 1:
                    let cycle = stack[stack.lastIndex(of: ref.name)!...] + [ref.name]
                    let key = Set(cycle).sorted().joined(separator: ",")
                    if reported.insert(key).inserted {
                        diagnostics.append(Diagnostic(.error, at: ref.location, "plan cycle: \(cycle.joined(separator: " → "))"))
                    }
                case nil: visit(ref.name)
                default: break
                }
            }
            stack.removeLast()
            state[name] = 2
        }
        for plan in spec.plans where state[plan.name] == nil { visit(plan.name) }

        var reachable = Set<String>()
        // Every claim's plan is one of its routes' plans.
        var queue = spec.routes.map(\.plan)
        while let name = queue.popLast() {
            guard reachable.insert(name).inserted else { continue }
            queue += edges(name).map(\.name)
        }
        for plan in spec.plans where !spec.hasErrors && !reachable.contains(plan.name) {
            diagnostics.append(Diagnostic(.warning, at: plan.location, "plan '\(plan.name)' is not reachable from any number"))
        }
        return diagnostics
    }

    /// Builds the file's plans in dependency order (only called when no file has an
    /// error, so the graph is acyclic and every reference exists) and its routes.
    static func link(_ spec: AccountSpec) -> DialplanUnit {
        let blueprints = Dictionary(spec.plans.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var built: [String: Plan] = [:]
        func plan(_ name: String) -> Plan {
            if let plan = built[name] { return plan }
            let blueprint = blueprints[name]!
            let then = blueprint.then.map { plan($0.name) }
            let made = Plan(name: name, account: spec.name, kind: blueprint.build(plan), then: then)
            built[name] = made
            return made
        }
        for blueprint in spec.plans { _ = plan(blueprint.name) }
        var outbound = spec.outbound
        // The first tracking number's country; its calling code's main country when its
        // range is not an assigned one (the fictitious 555-01xx, drama numbers).
        if outbound.country == nil, let first = spec.numbers.first, let number = PhoneNumber(parsing: first.e164) {
            outbound.country = number.region ?? number.mainRegion
        }
        let account = Account(name: spec.name, timeZone: spec.timeZone, callerID: spec.callerID, plans: built, path: spec.path,
                              outbound: outbound)
        let routes = spec.routes.map { DialplanUnit.Route(plan: built[$0.plan]!, source: $0.source, pool: $0.pool) }
        return DialplanUnit(account: account, routes: routes, porting: spec.porting)
    }
}
