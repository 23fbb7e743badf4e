import Dialplan

/// The human-readable trace printed by `switchboard route`.
extension RouteDecision {
    var readableText: String {
        var out = ""
        let callerText = caller.e164.map { number in
            "\(number)" + ([caller.region, caller.location].compactMap { $0 }.isEmpty ? "" : " (\([caller.region, caller.location].compactMap { $0 }.joined(separator: ", ")))")
        } ?? "withheld"
        out += "call to \(trackingNumber ?? dialled) from \(callerText) at \(at)\n"
        guard status != 404 else {
            out += "not found: no account claims this number → 404 Not Found\n"
            return out
        }
        out += "account \(account ?? "?"), source \(source ?? "?"), caller ID shown: \(callerIDPolicy ?? "?")\n"
        for (index, attempt) in attempts.enumerated() {
            out += "\n\(index == 0 ? "attempt 1" : "fallback \(index)") (\(attempt.trigger)):\n"
            for decision in attempt.decisions {
                out += "  \(decision.kind) \(decision.plan)" + (decision.choice.map { " [\($0)]" } ?? "") + ": \(decision.reason)\n"
                if let plays = decision.plays, !plays.isEmpty { out += "    plays \(plays.joined(separator: ", "))\n" }
            }
            for group in attempt.groups {
                let note = group.note.map { "  (\($0))" } ?? ""
                out += "  at +\(group.startsAfter)s ring\(group.legs.count > 1 ? " in parallel" : ""):\(note)\n"
                for leg in group.legs {
                    out += "    \(leg.target)" + (leg.contact.map { " via \($0)" } ?? "") + " for \(leg.timeout)s, shows \(leg.callerID)\n"
                }
            }
            out += "  if nothing answers: \(attempt.onFailure)\n"
        }
        return out
    }
}
