/// Checks that need every file (duplicate numbers and accounts), checks on
/// the plan graph (cycles, unreachable plans), and linking of blueprints into
/// `Plan` objects and the number table.
struct DialplanCompiler {
    let specs: [AccountSpec]
    private(set) var diagnostics: [Diagnostic] = []

    init(specs: [AccountSpec]) { self.specs = specs }

    /// Runs every check; builds the table only when `build` is true and no
    /// check failed (linking needs every referenced plan to exist).
    mutating func compile(build: Bool = true) -> DialplanTable? {
        checkAccounts()
        checkNumbers()
        for spec in specs { checkGraph(spec) }
        guard build, !diagnostics.hasErrors else { return nil }
        return link()
    }

    private mutating func checkAccounts() {
        var seen: [String: SourceLocation] = [:]
        for spec in specs {
            if let first = seen[spec.name] {
                diagnostics.append(Diagnostic(.error, at: spec.nameLocation, "account '\(spec.name)' is already defined at \(first)"))
            } else {
                seen[spec.name] = spec.nameLocation
            }
        }
    }

    /// A number may belong to one account and one plan only.
    private mutating func checkNumbers() {
        var claimed: [UInt64: (NumberSpec, String)] = [:]
        claimed.reserveCapacity(specs.reduce(0) { $0 + $1.numbers.count })
        for spec in specs {
            for number in spec.numbers {
                if let (first, account) = claimed[number.key] {
                    diagnostics.append(Diagnostic(.error, at: number.location,
                        "number \(number.e164) is claimed twice: also at \(first.location) (account '\(account)')"))
                } else {
                    claimed[number.key] = (number, spec.name)
                }
            }
        }
    }

    /// Cycles through `then:` or nesting are errors (a call would loop
    /// forever); plans no number can reach are warnings (probably a typo).
    private mutating func checkGraph(_ spec: AccountSpec) {
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
        var queue = spec.numbers.map(\.plan.name)
        while let name = queue.popLast() {
            guard reachable.insert(name).inserted else { continue }
            queue += edges(name).map(\.name)
        }
        for plan in spec.plans where !spec.hasErrors && !reachable.contains(plan.name) {
            diagnostics.append(Diagnostic(.warning, at: plan.location, "plan '\(plan.name)' is not reachable from any number"))
        }
    }

    /// Builds plans in dependency order (the graph is acyclic here) and the table.
    private func link() -> DialplanTable {
        var accounts: [String: Account] = [:]
        var entries: [UInt64: DialplanTable.Entry] = [:]
        entries.reserveCapacity(specs.reduce(0) { $0 + $1.numbers.count })
        for spec in specs {
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
            let account = Account(name: spec.name, timeZone: spec.timeZone, callerID: spec.callerID, plans: built, path: spec.path)
            accounts[spec.name] = account
            for number in spec.numbers {
                entries[number.key] = .init(number: number.e164, account: account, source: number.source, plan: built[number.plan.name]!,
                                              pool: number.pool, porting: number.porting)
            }
        }
        return DialplanTable(entries: entries, accounts: accounts)
    }
}
