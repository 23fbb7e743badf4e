import Foundation

/// Parses the top level of one account file: account, timezone, caller-id,
/// agents, numbers, pools, and hands each plan to `AccountParser+Plans`.
struct AccountParser {
    let file: FileParser
    /// Agent name → contact URI (from `agents:`).
    var agents: [String: String] = [:]
    /// Every plan name defined in the file, for reference checks and suggestions.
    var planNames: [String] = []
    var defaultRegion: String?
    /// The account's timezone, used by schedules.
    var timeZone = TimeZone(identifier: "UTC")!

    static let topKeys = ["account", "timezone", "caller-id", "agents", "numbers", "pools", "plans", "outbound"]

    /// The names an unknown timezone is compared with, asked of Foundation (ICU) once: the
    /// list was built anew for every file with a bad timezone.
    static let timeZoneNames = TimeZone.knownTimeZoneIdentifiers
    /// The same lowered once for `EditDistance`.
    static let timeZoneCandidates = EditDistance.Candidates(timeZoneNames)

    init(file: FileParser) { self.file = file }

    /// Parses the root node; returns nil when the file cannot yield an account at all.
    mutating func parse(_ root: Node) -> AccountSpec? {
        guard let top = file.mapping(root, "the account file", allowed: Self.topKeys, required: ["account", "timezone", "plans"]) else {
            return nil
        }
        // isDirectory: false spares a stat per file (the name is the same either way).
        var name = URL(fileURLWithPath: file.path, isDirectory: false).deletingPathExtension().lastPathComponent
        var nameLocation = file.location(root)
        if let node = top["account"], let text = file.string(node, "account") {
            if text.isEmpty || text.contains(where: { $0.isWhitespace || $0 == "/" }) {
                file.error(node, "account name '\(text)' must be a non-empty word")
            }
            name = text
            nameLocation = file.location(node)
        }
        if let node = top["timezone"], let text = file.string(node, "timezone") {
            if let zone = TimeZone(identifier: text) {
                timeZone = zone
            } else {
                file.error(node, "unknown timezone '\(text)' (expected an IANA name such as Europe/London)"
                           + EditDistance.hint(for: text, among: Self.timeZoneCandidates))
            }
        }
        var callerID = CallerIDPolicy.caller
        if let node = top["caller-id"], let text = file.string(node, "caller-id") {
            if let policy = CallerIDPolicy(rawValue: text) {
                callerID = policy
            } else {
                file.error(node, "caller-id must be 'caller' or 'tracking-number', not '\(text)'"
                           + EditDistance.hint(for: text, among: ["caller", "tracking-number"]))
            }
        }
        if let node = top["agents"] { parseAgents(node) }
        var spec = AccountSpec(path: file.path, name: name, nameLocation: nameLocation, timeZone: timeZone, callerID: callerID)
        if let node = top["plans"], node.mapping == nil {
            file.error(node, "plans must be a mapping of plan name to plan")
        }
        // Plan names first, so references anywhere can be checked against them.
        if let node = top["plans"], case .mapping(let mapping) = node {
            planNames = mapping.compactMap { $0.key.scalar?.string }
            for (key, value) in mapping {
                guard let planName = key.scalar?.string else { continue }
                if let blueprint = parsePlan(named: planName, key: key, value: value) { spec.plans.append(blueprint) }
            }
        }
        if let node = top["numbers"] { parseNumbers(node, into: &spec) }
        if let node = top["pools"] { parsePools(node, into: &spec) }
        if let node = top["outbound"] { spec.outbound = parseOutbound(node) }
        return spec
    }

    private mutating func parseAgents(_ node: Node) {
        guard case .mapping(let mapping) = node else {
            file.error(node, "agents must be a mapping of name to contact URI")
            return
        }
        for (key, value) in mapping {
            // `bob: ~` (or `bob:`): an agent reached only where it is registered (issue 15).
            if let name = key.scalar?.string, case .scalar(let scalar) = value, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
                agents[name] = ""
                continue
            }
            guard let name = key.scalar?.string, let contact = file.string(value, "agent '\(key.scalar?.string ?? "")'") else { continue }
            if case .failure(let problem) = Target.parse(contact, agents: [:]) {
                file.error(value, "agent '\(name)': \(problem.message)")
            } else if contact.lowercased().hasPrefix("agent:") {
                file.error(value, "agent '\(name)' must have a sip: or tel: contact")
            }
            agents[name] = contact
        }
    }

    /// `numbers: { "+1…": { plan: main, source: radio } }`
    private func parseNumbers(_ node: Node, into spec: inout AccountSpec) {
        guard case .mapping(let mapping) = node else {
            file.error(node, "numbers must be a mapping of E.164 number to { plan, source }")
            return
        }
        for (key, value) in mapping {
            guard let number = checkedNumber(key) else { continue }
            guard let entries = file.mapping(value, "number \(number.e164)", allowed: ["plan", "source", "porting"], required: ["plan"]) else { continue }
            guard let plan = planRef(entries["plan"]) else { continue }
            let source = entries["source"].flatMap { file.string($0, "source") } ?? "direct"
            if let porting = entries["porting"].flatMap({ parsePorting($0, number: number) }) {
                spec.porting[number.key] = porting
                spec.usesToday = true
            }
            spec.claim(number, at: key, route: NumberRoute(plan: plan.name, source: source))
        }
    }

    /// `pools: { website: { numbers: [...], plan: main, source: website } }`
    private func parsePools(_ node: Node, into spec: inout AccountSpec) {
        guard case .mapping(let mapping) = node else {
            file.error(node, "pools must be a mapping of pool name to { numbers, plan, source }")
            return
        }
        for (key, value) in mapping {
            let poolName = key.scalar?.string ?? ""
            guard let entries = file.mapping(value, "pool '\(poolName)'", allowed: ["numbers", "plan", "source"], required: ["numbers", "plan"]),
                  let numbersNode = entries["numbers"], let numbers = file.strings(numbersNode, "pool numbers") else { continue }
            if numbers.isEmpty { file.error(numbersNode, "pool '\(poolName)' has no numbers") }
            guard let plan = planRef(entries["plan"]) else { continue }
            let source = entries["source"].flatMap { file.string($0, "source") } ?? poolName
            let route = NumberRoute(plan: plan.name, source: source, pool: poolName)
            for (_, item) in numbers {
                guard let number = checkedNumber(item) else { continue }
                spec.claim(number, at: item, route: route)
            }
        }
    }

    /// `porting: { from: "Carrier", requested: 2026-11-02, foc: 2026-11-20, completed: 2026-11-20 }`
    private func parsePorting(_ node: Node, number: PhoneNumber) -> Porting? {
        guard let entries = file.mapping(node, "porting of \(number.e164)", allowed: ["from", "requested", "foc", "completed"],
                                         required: ["from", "requested"]) else { return nil }
        let region = number.region ?? "?"
        guard Porting.regions.contains(region) else {
            file.error(node, "porting is for US and Canadian numbers only; \(number.e164) is a \(region) number")
            return nil
        }
        func date(_ key: String) -> String?? {
            guard let valueNode = entries[key] else { return .some(nil) }
            guard let text = file.string(valueNode, key) else { return nil }
            guard Porting.isDate(text) else {
                file.error(valueNode, "porting \(key) must be a date YYYY-MM-DD, not '\(text)'")
                return nil
            }
            return .some(text)
        }
        guard let fromNode = entries["from"], let from = file.string(fromNode, "from") else { return nil }
        if from.trimmingCharacters(in: .whitespaces).isEmpty { file.error(fromNode, "porting from must name the losing carrier") }
        guard let requestedDate = date("requested"), let requested = requestedDate, let foc = date("foc"), let completed = date("completed") else {
            return nil
        }
        let porting = Porting(from: from, requested: requested, foc: foc, completed: completed)
        if let foc, foc < requested { file.error(entries["foc"], "porting foc \(foc) is before requested \(requested)") }
        if porting.focPassed(today: Porting.today()) {
            file.warning(entries["foc"], "porting of \(number.e164) from \(from): FOC date \(foc!) has passed; "
                         + "add completed: DATE once the port is done (or correct foc)")
        }
        return porting
    }

    /// A tracking number written as a key or list entry: strict E.164 with a
    /// known country code and a valid (or at least possible) number.
    func checkedNumber(_ node: Node) -> PhoneNumber? {
        guard let text = file.string(node, "a tracking number") else { return nil }
        guard PhoneNumber.isStrictE164(text) else {
            let hint = PhoneNumber(parsing: text, defaultRegion: defaultRegion).map { " (did you mean '\($0.e164)'?)" } ?? ""
            file.error(node, "'\(text)' is not an E.164 number (+, country code, number; no spaces)" + hint)
            return nil
        }
        // The fast path: libphonenumber's verdict once per country code + length + leading
        // digits (E164Verdicts), the same answer as asking it for each number.
        guard case .parsed(let countryCode, let possible) = E164Verdicts.verdict(strictE164: text) else {
            if let code = Self.countryCodeCandidates(text).first(where: PhoneNumber.isSupportedCountryCode) {
                file.error(node, "'\(text)' is not a valid number for country code +\(code)")
            } else {
                file.error(node, "'\(text)' has an unknown country code")
            }
            return nil
        }
        // Possible (right length for the country), not necessarily valid:
        // fictitious ranges (NANP 555-01XX, Ofcom drama numbers) must pass.
        guard possible else {
            file.error(node, "'\(text)' is not a valid number for country code +\(countryCode)")
            return nil
        }
        return PhoneNumber(checked: text)
    }

    private static func countryCodeCandidates(_ e164: String) -> [Int] {
        let digits = e164.dropFirst()
        return (1...3).compactMap { Int(digits.prefix($0)) }
    }

    /// A plan reference; unknown names are reported with a suggestion.
    func planRef(_ node: Node?) -> PlanRef? {
        guard let node, let name = file.string(node, "plan") else { return nil }
        guard planNames.contains(name) else {
            file.error(node, "unknown plan '\(name)'" + EditDistance.hint(for: name, among: planNames))
            return nil
        }
        return PlanRef(name: name, location: file.location(node))
    }
}
