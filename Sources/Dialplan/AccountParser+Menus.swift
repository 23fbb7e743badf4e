import Foundation

/// Parsing of the plans that answer the caller (IVR, queue) and of schedules.
extension AccountParser {
    func ivr(_ node: Node) -> Parsed? {
        let keys = ["prompt", "options", "timeout", "attempts", "invalid-prompt", "default", "max-digits", "terminator"]
        guard let entries = file.mapping(node, "ivr", allowed: keys, required: ["prompt", "options"]) else { return nil }
        var ok = true
        let prompt = entries["prompt"].flatMap { file.prompt($0, "prompt") }
        let invalidPrompt: String?? = entries["invalid-prompt"].map { file.prompt($0, "invalid-prompt") }
        let timeout = entries["timeout"].map { file.duration($0, "timeout") } ?? 5
        let attempts = entries["attempts"].map { file.positiveInt($0, "attempts", max: 10) } ?? 3
        let maxDigits = entries["max-digits"].map { file.positiveInt($0, "max-digits", max: 20) } ?? 1
        var terminator: String?
        if let node = entries["terminator"], let text = file.string(node, "terminator") {
            if text.count == 1, "0123456789*#".contains(text) { terminator = text } else {
                file.error(node, "terminator must be one DTMF key (0-9, * or #)"); ok = false
            }
        }
        var options: [(String, PlanRef)] = []
        if let node = entries["options"] {
            if case .mapping(let mapping) = node {
                if mapping.isEmpty { file.error(node, "ivr options are empty"); ok = false }
                for (key, value) in mapping {
                    guard let digits = key.scalar?.string else { ok = false; continue }
                    if digits.isEmpty || !digits.allSatisfy({ "0123456789*#".contains($0) }) {
                        file.error(key, "option '\(digits)' must be DTMF keys (0-9, * and #)"); ok = false
                    } else if digits.count > (maxDigits ?? 1) {
                        file.error(key, "option '\(digits)' is longer than max-digits (\(maxDigits ?? 1))"); ok = false
                    }
                    if let ref = planRef(value) { options.append((digits, ref)) } else { ok = false }
                }
            } else {
                file.error(node, "ivr options must map digits to plans, e.g. { \"1\": sales }"); ok = false
            }
        }
        let defaultRef = entries["default"].flatMap { planRef($0) }
        if entries["default"] != nil && defaultRef == nil { ok = false }
        guard ok, let prompt, let timeout, let attempts, let maxDigits else { return nil }
        guard case .some(let invalid) = invalidPrompt ?? .some(nil) else { return nil }
        return (options.map(\.1) + (defaultRef.map { [$0] } ?? []), { resolve in
            .ivr(IVRPlan(prompt: prompt, invalidPrompt: invalid,
                         options: Dictionary(options.map { ($0.0, resolve($0.1.name)) }, uniquingKeysWith: { a, _ in a }),
                         timeout: timeout, attempts: attempts, defaultPlan: defaultRef.map { resolve($0.name) },
                         maxDigits: maxDigits, terminator: terminator))
        })
    }

    func queue(_ node: Node) -> Parsed? {
        let keys = ["agents", "strategy", "hold-music", "max-wait", "agent-timeout", "wrap-up", "announce-position"]
        guard let entries = file.mapping(node, "queue", allowed: keys, required: ["agents"]) else { return nil }
        var ok = true
        var strategy = QueuePlan.Strategy.ringAll
        if let node = entries["strategy"], let text = file.string(node, "strategy") {
            if let value = QueuePlan.Strategy(rawValue: text) { strategy = value } else {
                let names = QueuePlan.Strategy.allCases.map(\.rawValue)
                file.error(node, "unknown queue strategy '\(text)' (one of \(names.joined(separator: ", ")))" + EditDistance.hint(for: text, among: names))
                ok = false
            }
        }
        let holdMusic: String?? = entries["hold-music"].map { file.prompt($0, "hold-music") }
        let maxWait = entries["max-wait"].map { file.duration($0, "max-wait") } ?? 300
        let agentTimeout = entries["agent-timeout"].map { file.duration($0, "agent-timeout") } ?? 20
        let wrapUp = entries["wrap-up"].map { file.duration($0, "wrap-up") } ?? 10
        let announce: PositionAnnouncement?? = entries["announce-position"].map { positionAnnouncement($0) }
        let agents = targets(entries["agents"], "agents")
        guard ok, let agents, let maxWait, let agentTimeout, let wrapUp,
              case .some(let hold) = holdMusic ?? .some(nil), case .some(let every) = announce ?? .some(nil) else { return nil }
        return ([], { _ in
            .queue(QueuePlan(agents: agents, strategy: strategy, holdMusic: hold, maxWait: maxWait,
                             agentTimeout: agentTimeout, wrapUp: wrapUp, announcePosition: every))
        })
    }

    /// `{ branches: { open: { days, hours, plan } }, holidays: { dates, plan }, default: closed }`
    func schedule(_ node: Node) -> Parsed? {
        guard let entries = file.mapping(node, "schedule", allowed: ["branches", "holidays", "default"], required: ["branches"]) else { return nil }
        var ok = true
        var branches: [(name: String, days: Set<Int>, hours: [SchedulePlan.ClosedOpenMinutes], plan: PlanRef)] = []
        if let node = entries["branches"] {
            if case .mapping(let mapping) = node {
                if mapping.isEmpty { file.error(node, "schedule has no branches"); ok = false }
                for (key, value) in mapping {
                    let name = key.scalar?.string ?? ""
                    guard let branch = file.mapping(value, "branch '\(name)'", allowed: ["days", "hours", "plan"], required: ["days", "plan"]),
                          let days = branch["days"].flatMap(weekdays) else { ok = false; continue }
                    let hours = branch["hours"].map(timeRanges) ?? [SchedulePlan.ClosedOpenMinutes(start: 0, end: 1440)]
                    guard let hours, let ref = planRef(branch["plan"]) else { ok = false; continue }
                    branches.append((name, days, hours, ref))
                }
            } else {
                file.error(node, "schedule branches must map branch names to { days, hours, plan }"); ok = false
            }
        }
        var holidays = Set<String>()
        var holidayRef: PlanRef?
        if let node = entries["holidays"], let holiday = file.mapping(node, "holidays", allowed: ["dates", "plan"], required: ["dates", "plan"]) {
            for (text, item) in holiday["dates"].flatMap({ file.strings($0, "dates") }) ?? [] {
                if Self.isDate(text) { holidays.insert(text) } else { file.error(item, "holiday '\(text)' must be a date like 2026-12-25"); ok = false }
            }
            holidayRef = planRef(holiday["plan"])
            if holidayRef == nil { ok = false }
        } else if entries["holidays"] != nil { ok = false }
        let defaultRef = entries["default"].flatMap { planRef($0) }
        if entries["default"] != nil && defaultRef == nil { ok = false }
        guard ok else { return nil }
        let refs = branches.map(\.plan) + [holidayRef, defaultRef].compactMap { $0 }
        let zone = timeZone
        return (refs, { resolve in
            .schedule(SchedulePlan(
                timeZone: zone,
                branches: branches.map { .init(name: $0.name, days: $0.days, hours: $0.hours, plan: resolve($0.plan.name)) },
                holidays: holidays, holidayPlan: holidayRef.map { resolve($0.name) }, defaultPlan: defaultRef.map { resolve($0.name) }))
        })
    }

    /// `[mon-fri, sat]` → Calendar weekdays; ranges may wrap (`fri-mon`).
    private func weekdays(_ node: Node) -> Set<Int>? {
        guard let items = file.strings(node, "days", allowSingle: true) else { return nil }
        let names = SchedulePlan.weekdayNames
        var days = Set<Int>()
        var ok = true
        for (text, item) in items {
            let lower = text.lowercased()
            if lower == "daily" || lower == "all" { days.formUnion(1...7); continue }
            let parts = lower.split(separator: "-").map { String($0.prefix(3)) }
            guard (1...2).contains(parts.count), let first = names.firstIndex(of: parts[0]), let last = names.firstIndex(of: parts.last!) else {
                file.error(item, "bad day '\(text)' (use mon, tue, …, ranges like mon-fri, or daily)"); ok = false
                continue
            }
            var day = first
            while true {
                days.insert(day + 1)
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return ok ? days : nil
    }

    /// `"08:00-18:00"` or a list of them; end may be 24:00.
    private func timeRanges(_ node: Node) -> [SchedulePlan.ClosedOpenMinutes]? {
        guard let items = file.strings(node, "hours", allowSingle: true) else { return nil }
        var result: [SchedulePlan.ClosedOpenMinutes] = []
        for (text, item) in items {
            let parts = text.split(separator: "-").map { Self.minutes(String($0)) }
            guard parts.count == 2, let start = parts[0], let end = parts[1] else {
                file.error(item, "bad hours '\(text)' (expected HH:MM-HH:MM such as 08:00-18:00)")
                return nil
            }
            guard start < end else {
                file.error(item, "hours '\(text)' end before they start; split overnight hours at midnight (…-24:00 and 00:00-…)")
                return nil
            }
            result.append(.init(start: start, end: end))
        }
        return result
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.trimmingCharactersWhitespace().split(separator: ":")
        guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: y, month: m, day: d)
        guard let date = calendar.date(from: components) else { return false }
        return calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: y, month: m, day: d)
    }
}
