import Foundation

/// Read-only views for the daemon's operations side (metrics, drain). Like the rest of the
/// engine, call them on its event loop.
extension CallEngine {
    /// Every call in progress (ringing, answered or bridged), for hanging up at the end of a drain.
    public var activeCallIDs: [UUID] { Array(calls.keys) }
}
