/// The IVR decision as a pure function of the digits the caller pressed.
extension IVRPlan {
    public struct Choice: Sendable {
        /// The digits that selected an option; nil when the default was taken.
        public let option: String?
        /// Nil: no valid choice and no default (the plan fails, `then:` runs).
        public let plan: Plan?
        public let reason: String
        /// Whether the invalid-input prompt was played at least once.
        public let playedInvalid: Bool
    }

    /// Consumes one entry of `digits` per menu attempt (up to `attempts`);
    /// an entry that matches no option plays the invalid prompt and retries,
    /// running out of entries counts as the caller not pressing anything.
    public func choose(digits: inout ArraySlice<String>) -> Choice {
        var notes: [String] = []
        var invalid = false
        for attempt in 1...attempts {
            guard let pressed = digits.popFirst() else {
                notes.append("attempt \(attempt): no input within \(PlanDuration.format(timeout))")
                continue
            }
            var entry = pressed
            if let terminator, entry.hasSuffix(terminator) { entry.removeLast() }
            if let plan = options[entry] {
                notes.append("attempt \(attempt): pressed \(entry)")
                return Choice(option: entry, plan: plan, reason: notes.joined(separator: "; "), playedInvalid: invalid)
            }
            notes.append("attempt \(attempt): pressed \(entry), not an option")
            invalid = true
        }
        let ending = defaultPlan == nil ? "no default" : "default"
        return Choice(option: nil, plan: defaultPlan, reason: (notes + [ending]).joined(separator: "; "), playedInvalid: invalid)
    }
}
