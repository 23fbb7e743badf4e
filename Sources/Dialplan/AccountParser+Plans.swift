import Foundation

/// Parsing of the six plan kinds into blueprints.
extension AccountParser {
    static let kinds = ["ring-all", "sequential", "geographic", "ivr", "queue", "schedule"]

    /// A plan is a mapping with exactly one kind key and an optional `then:`.
    func parsePlan(named name: String, key: Node, value: Node) -> PlanBlueprint? {
        guard let entries = file.mapping(value, "plan '\(name)'", allowed: Self.kinds + ["then"]) else { return nil }
        let kinds = entries.items.filter { $0.name != "then" }
        guard let kind = kinds.first else {
            file.error(key, "plan '\(name)' needs one of: \(Self.kinds.joined(separator: ", "))")
            return nil
        }
        for extra in kinds.dropFirst() {
            file.error(extra.key, "plan '\(name)' already is '\(kind.name)'; one kind per plan (use then: or a separate plan)")
        }
        let then = entries["then"].flatMap { planRef($0) }
        let location = file.location(key)
        let body = kind.value
        let parsed: (refs: [PlanRef], build: (_ resolve: (String) -> Plan) -> Plan.Kind)?
        switch kind.name {
        case "ring-all": parsed = ringAll(body)
        case "sequential": parsed = sequential(body)
        case "geographic": parsed = geographic(body)
        case "ivr": parsed = ivr(body)
        case "queue": parsed = queue(body)
        default: parsed = schedule(body)
        }
        guard let parsed else { return nil }
        return PlanBlueprint(name: name, location: location, then: then, refs: parsed.refs, build: parsed.build)
    }

    typealias Parsed = (refs: [PlanRef], build: (_ resolve: (String) -> Plan) -> Plan.Kind)

    /// A non-empty list of targets.
    func targets(_ node: Node?, _ what: String) -> [Target]? {
        guard let node, let items = file.strings(node, what) else { return nil }
        if items.isEmpty { file.error(node, "\(what) is empty") }
        var result: [Target] = []
        var ok = true
        for (text, item) in items {
            switch Target.parse(text, agents: agents) {
            case .success(let target): result.append(target)
            case .failure(let problem): file.error(item, problem.message); ok = false
            }
        }
        return ok && !result.isEmpty ? result : nil
    }

    func ringAll(_ node: Node) -> Parsed? {
        guard let entries = file.mapping(node, "ring-all", allowed: ["targets", "timeout"], required: ["targets"]) else { return nil }
        let timeout = entries["timeout"].map { file.duration($0, "timeout") } ?? 30
        guard let targets = targets(entries["targets"], "targets"), let timeout else { return nil }
        return ([], { _ in .ringAll(RingAllPlan(targets: targets, timeout: timeout)) })
    }

    /// Either a plain list of steps or `{ steps: [...], budget: 2m }`.
    func sequential(_ node: Node) -> Parsed? {
        var stepsNode = node
        var budget: Int?? = .some(nil)
        if node.mapping != nil {
            guard let entries = file.mapping(node, "sequential", allowed: ["steps", "budget"], required: ["steps"]),
                  let steps = entries["steps"] else { return nil }
            stepsNode = steps
            if let b = entries["budget"] { budget = file.duration(b, "budget").map { .some($0) } ?? .none }
        }
        guard case .sequence(let items) = stepsNode else {
            file.error(stepsNode, "sequential steps must be a list of { target, timeout }")
            return nil
        }
        if items.isEmpty { file.error(stepsNode, "sequential steps are empty") }
        var steps: [SequentialPlan.Step] = []
        var ok = true
        for item in items {
            guard let step = file.mapping(item, "sequential step", allowed: ["target", "timeout"], required: ["target"]),
                  let targetNode = step["target"], let text = file.string(targetNode, "target") else { ok = false; continue }
            let timeout = step["timeout"].map { file.duration($0, "timeout") } ?? 20
            switch Target.parse(text, agents: agents) {
            case .success(let target):
                if let timeout { steps.append(.init(target: target, timeout: timeout)) } else { ok = false }
            case .failure(let problem):
                file.error(targetNode, problem.message)
                ok = false
            }
        }
        guard ok, !steps.isEmpty, case .some(let total) = budget else { return nil }
        return ([], { _ in .sequential(SequentialPlan(steps: steps, budget: total)) })
    }

    /// A list of `{ match: {...}, plan: x }` rules and one `{ default: y }`.
    func geographic(_ node: Node) -> Parsed? {
        guard case .sequence(let items) = node else {
            file.error(node, "geographic must be a list of { match, plan } rules and a { default: plan }")
            return nil
        }
        var rules: [(countries: Set<String>, areas: Set<String>, prefixes: [String], locations: [String], plan: PlanRef)] = []
        var defaultRef: PlanRef?
        var ok = true
        for item in items {
            guard let entries = file.mapping(item, "geographic rule", allowed: ["match", "plan", "default"]) else { ok = false; continue }
            if let d = entries["default"] {
                if entries["match"] != nil || entries["plan"] != nil { file.error(item, "a default rule has only 'default: plan'"); ok = false }
                if defaultRef != nil { file.error(d, "geographic plan has two defaults"); ok = false }
                if let ref = planRef(d) { defaultRef = ref } else { ok = false }
                continue
            }
            guard let matchNode = entries["match"], entries["plan"] != nil else {
                file.error(item, "a geographic rule needs 'match' and 'plan' (or is 'default: plan')")
                ok = false
                continue
            }
            guard let ref = planRef(entries["plan"]),
                  let match = file.mapping(matchNode, "match", allowed: ["country", "area-code", "prefix", "location"]) else { ok = false; continue }
            if match.items.isEmpty { file.error(matchNode, "match needs at least one of country, area-code, prefix, location"); ok = false }
            var countries = Set<String>(), areas = Set<String>(), prefixes: [String] = [], locations: [String] = []
            for (name, _, value) in match.items {
                guard let list = file.strings(value, name, allowSingle: true) else { ok = false; continue }
                for (text, itemNode) in list {
                    switch name {
                    case "country":
                        if PhoneNumber.isSupportedRegion(text.uppercased()) && text.count == 2 {
                            countries.insert(text.uppercased())
                        } else {
                            file.error(itemNode, "unknown country code '\(text)' (expected ISO 3166 alpha-2 such as GB)"); ok = false
                        }
                    case "area-code":
                        if !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) { areas.insert(text) } else {
                            file.error(itemNode, "area code '\(text)' must be digits (e.g. 212)"); ok = false
                        }
                    case "prefix":
                        let digits = text.dropFirst()
                        if text.hasPrefix("+"), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                           PhoneNumber.isSupportedCountryCode(Int(digits.prefix(3)) ?? 0) || PhoneNumber.isSupportedCountryCode(Int(digits.prefix(2)) ?? 0) || PhoneNumber.isSupportedCountryCode(Int(digits.prefix(1)) ?? 0) {
                            prefixes.append(text)
                        } else {
                            file.error(itemNode, "prefix '\(text)' must be + and digits starting with a known country code"); ok = false
                        }
                    default:
                        if text.isEmpty { file.error(itemNode, "location must not be empty"); ok = false } else { locations.append(text) }
                    }
                }
            }
            rules.append((countries, areas, prefixes, locations, ref))
        }
        if rules.isEmpty && defaultRef == nil { file.error(node, "geographic plan has no rules"); ok = false }
        guard ok else { return nil }
        let refs = rules.map(\.plan) + (defaultRef.map { [$0] } ?? [])
        return (refs, { resolve in
            .geographic(GeographicPlan(
                rules: rules.map { .init(countries: $0.countries, areaCodes: $0.areas, prefixes: $0.prefixes, locations: $0.locations, plan: resolve($0.plan.name)) },
                defaultPlan: defaultRef.map { resolve($0.name) }))
        })
    }
}
