import CallLegs

/// Which final response the caller gets when every leg of every plan failed
/// (RFC 3261 §16.7 step 6, adapted for a B2BUA that forwards to phones).
///
/// - a 6xx from anyone wins (the callee declined everywhere);
/// - else a busy callee gives 486 Busy Here;
/// - else 480 Temporarily Unavailable (no answer, timeouts, unreachable targets, errors):
///   a target's own 404 or a trunk's 503 must not reach the caller, who dialled a number that
///   exists; and never a 500 of ours.
public enum FinalResponse {
    public static func select(_ statuses: [Int]) -> Int {
        if let global = statuses.filter({ $0 >= 600 && $0 < 700 }).min() {
            return global == 600 ? 600 : global
        }
        if statuses.contains(486) || statuses.contains(600) { return 486 }
        return 480
    }

    /// The end reason recorded for a leg that ended with `status` without being answered.
    public static func endReason(forStatus status: Int) -> LegEvent.EndReason {
        switch status {
        case 486, 600: return .busy
        case 603, 607: return .declined
        case 408, 480: return .noAnswer
        case 487: return .callerCancelled
        default: return .error
        }
    }
}
