import Foundation
import Yams

/// One account file after parsing, before plans are linked into objects.
/// Plan references are still names with their locations so that unknown
/// names, cycles and unreachable plans can be reported where they are written.
struct AccountSpec {
    var path: String
    var name: String
    var nameLocation: SourceLocation
    var timeZone: TimeZone
    var callerID: CallerIDPolicy
    var numbers: [NumberSpec] = []
    /// Whether the file had errors: its plan graph is then incomplete, so
    /// "unreachable" warnings would be noise.
    var hasErrors = false
    /// Plans in file order.
    var plans: [PlanBlueprint] = []
}

/// A number claimed by a file (directly or through a pool).
struct NumberSpec {
    var e164: String
    var key: UInt64
    var location: SourceLocation
    var plan: PlanRef
    var source: String
    /// The website pool (`pools:` key) the number belongs to; nil for a static number.
    var pool: String? = nil
    /// Set while the number is being ported in (US/Canada).
    var porting: Porting? = nil
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
