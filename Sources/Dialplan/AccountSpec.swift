import Foundation

/// One account file after parsing, before plans are linked into objects.
/// Plan references are still names with their locations so that unknown
/// names, cycles and unreachable plans can be reported where they are written.
struct AccountSpec {
    var path: String
    var name: String
    var nameLocation: SourceLocation
    var timeZone: TimeZone
    var callerID: CallerIDPolicy
    /// `outbound:` (agents' own calls); the country is filled in at link time if not given.
    var outbound = OutboundPolicy()
    /// Every number the file claims, in file order (`numbers:`, then `pools:`).
    var numbers: [NumberClaim] = []
    /// What the claims route to; a claim names one by index (a few per file, shared by
    /// its numbers, so a million numbers keep no String each).
    var routes: [NumberRoute] = []
    /// Porting details by number key (few numbers have them).
    var porting: [UInt64: Porting] = [:]
    /// Whether the file had errors: its plan graph is then incomplete, so
    /// "unreachable" warnings would be noise.
    var hasErrors = false
    /// Plans in file order.
    var plans: [PlanBlueprint] = []
    /// Whether a diagnostic depends on today's date (porting FOC warnings): such a file is
    /// parsed again by a reload on another day even when it did not change.
    var usesToday = false

    /// `routes` by value, while parsing.
    var routeIndices: [NumberRoute: UInt32] = [:]

    /// The index of `route` in `routes`, added when new.
    mutating func routeIndex(_ route: NumberRoute) -> UInt32 {
        if let index = routeIndices[route] { return index }
        let index = UInt32(routes.count)
        routes.append(route)
        routeIndices[route] = index
        return index
    }

    /// Records that the number written at `node` is claimed, routing to `route`.
    mutating func claim(_ number: PhoneNumber, at node: Node, route: NumberRoute) {
        let mark = node.mark
        numbers.append(NumberClaim(key: number.key, line: UInt32(clamping: mark?.line ?? 1), column: UInt32(clamping: mark?.column ?? 1),
                                   route: routeIndex(route)))
    }

    /// Where a claim was written.
    func location(of claim: NumberClaim) -> SourceLocation {
        SourceLocation(path: path, line: Int(claim.line), column: Int(claim.column))
    }
}

/// A number claimed by a file (directly or through a pool): 24 bytes, no String.
struct NumberClaim {
    /// The E.164 digits as an integer (`PhoneNumber.key`); "+" and these digits give the text back.
    var key: UInt64
    var line: UInt32
    var column: UInt32
    /// Index into the file's `AccountSpec.routes`.
    var route: UInt32

    /// The number in E.164.
    var e164: String { "+" + String(key) }
}

/// What a claimed number routes to.
struct NumberRoute: Hashable {
    /// The plan's name (checked to exist when the claim was parsed).
    var plan: String
    var source: String
    /// The website pool (`pools:` key) the number belongs to; nil for a static number.
    var pool: String? = nil
}

/// A plan name as written somewhere, with where.
struct PlanRef {
    var name: String
    var location: SourceLocation
}

/// A parsed plan whose references are names; `build` makes the `Plan.Kind`
/// once every referenced plan exists (they are built in dependency order).
struct PlanBlueprint {
    var name: String
    var location: SourceLocation
    var then: PlanRef?
    /// Every plan this one can lead to (branches, options, rules, defaults; not `then`).
    var refs: [PlanRef]
    var build: (_ resolve: (String) -> Plan) -> Plan.Kind
}

/// What the receiving phone sees as the caller.
public enum CallerIDPolicy: String, Sendable, Codable {
    /// The original caller's number (withheld stays withheld).
    case caller
    /// The tracking number that was dialled, so the callee knows it is a lead.
    case trackingNumber = "tracking-number"
}
