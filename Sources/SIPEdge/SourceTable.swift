/// Per-address state at the edge: whether the address is trusted (decided once), its token
/// buckets and its ban. A fixed number of entries: when full, the oldest entry that is not
/// banned is evicted (a ring of keys in insertion order), so a spoofed flood from millions
/// of addresses costs a bounded table, never unbounded memory.
struct SourceTable {
    struct Entry {
        let trusted: Bool
        var requests: TokenBucket
        var newCalls: TokenBucket
        var bannedUntil: Duration?
        /// Requests dropped during the current ban.
        var droppedWhileBanned = 0

        func isBanned(at now: Duration) -> Bool {
            if let bannedUntil { return now < bannedUntil }
            return false
        }
    }

    let capacity: Int
    private(set) var entries: [String: Entry] = [:]
    /// Keys in insertion order; `hand` is the next eviction candidate.
    private var ring: [String?]
    private var hand = 0
    /// Slot of each key in `ring`, and the slots nobody holds.
    private var slots: [String: Int] = [:]
    private var free: [Int]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        ring = Array(repeating: nil, count: self.capacity)
        free = Array((0..<self.capacity).reversed())
        entries.reserveCapacity(self.capacity)
        slots.reserveCapacity(self.capacity)
    }

    var count: Int { entries.count }

    subscript(address: String) -> Entry? {
        get { entries[address] }
        set {
            if let newValue { entries[address] = newValue } else { remove(address) }
        }
    }

    /// Adds `entry` for a new address, evicting the oldest unbanned one when full. Returns
    /// false (nothing stored) when the few candidates looked at are all banned: the caller then
    /// judges the address without state.
    mutating func insert(_ address: String, _ entry: Entry, now: Duration) -> Bool {
        if entries.count >= capacity {
            var evicted = false
            // Look at a handful of slots only: the cost per packet stays constant even when
            // the table is full of bans.
            for _ in 0..<min(8, capacity) {
                let slot = hand
                hand = (hand + 1) % capacity
                guard let old = ring[slot] else { continue }
                if entries[old]?.isBanned(at: now) == true { continue }
                remove(old)
                evicted = true
                break
            }
            guard evicted else { return false }
        }
        guard let slot = free.popLast() else { return false }
        ring[slot] = address
        slots[address] = slot
        entries[address] = entry
        return true
    }

    mutating func remove(_ address: String) {
        guard entries.removeValue(forKey: address) != nil else { return }
        if let slot = slots.removeValue(forKey: address) {
            ring[slot] = nil
            free.append(slot)
        }
    }
}
