import Foundation

/// A session and the number it holds, as `POST /v1/sessions` answers it.
public struct SessionLease: Sendable, Equatable {
    public var sessionID: UUID
    public var account: String
    public var pool: String
    public var number: String
    /// ISO 8601 UTC, from the database clock (all nodes agree on it).
    public var expiresAt: String
    /// Whether the number was taken over from the longest-idle session (the pool was full).
    public var tookOver: Bool
}

/// What a heartbeat found.
public enum HeartbeatOutcome: Sendable, Equatable {
    case extended(number: String, expiresAt: String)
    /// No such session for this account.
    case unknownSession
    /// The lease ran out (idle too long): the page should start a new session.
    case expired
    /// Another session took the number over while this one was idle.
    case takenOver
}

/// Why a lease could not be made (mapped to 4xx/503 by the web layer).
public enum LeaseError: Error, Sendable, Equatable {
    /// The pool has no numbers in the database (not synced, or removed from the dialplans).
    case poolEmpty(account: String, pool: String)
    /// Every number was locked by a concurrent lease for every try (very small pool, burst of
    /// visitors): the page keeps its default number and may retry.
    case poolBusy(account: String, pool: String)
}

/// Pool health for the admin API and metrics.
public struct PoolStatus: Sendable, Codable, Equatable {
    public var account: String
    public var pool: String
    public var numbers: Int
    public var leased: Int
    public var free: Int
    /// Leases ended by a takeover, since the pool existed.
    public var takeovers: Int
}
