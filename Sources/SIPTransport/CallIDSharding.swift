/// Which SIP loop ("shard") owns a message, from its Call-ID alone (issue 12 item 4).
///
/// A call and all its legs and transactions live on one loop. Every message of the caller's
/// dialog carries the carrier's Call-ID; every message of an outbound leg's dialog carries
/// the Call-ID we made for it. So: a Call-ID we made starts with `sw<shard>.` and goes to
/// that shard; any other goes to `fmix32(FNV-1a(Call-ID)) mod shards`. Both are pure functions of
/// the Call-ID's bytes, so every loop computes the same owner without any shared table.
/// (A peer's Call-ID that happens to look like ours just picks that shard, consistently.)
///
/// `peekCallID` finds the Call-ID in the raw bytes without parsing the message: the receiving
/// loop hands the bytes to the owner, which parses them (parsing is much of a message's cost,
/// and one busy carrier source arrives on one socket).
public enum CallIDSharding {
    /// The Call-ID prefix of dialogs started on `shard` ("" with one shard: today's Call-IDs).
    public static func prefix(shard: Int, of count: Int) -> String {
        count > 1 ? "sw\(shard)." : ""
    }

    /// The shard of `callID` (its exact bytes, as `peekCallID` or the parser give them).
    public static func shard<C: Collection>(ofCallID callID: C, count: Int) -> Int where C.Element == UInt8 {
        guard count > 1 else { return 0 }
        if let marked = markedShard(callID), marked < count { return marked }
        return Int(finalize(fnv1a(callID)) % UInt32(count))
    }

    public static func shard(ofCallID callID: String, count: Int) -> Int {
        shard(ofCallID: callID.utf8, count: count)
    }

    /// 32-bit FNV-1a: cheap, stable across runs and machines (unlike `Hasher`), and spreads
    /// the random parts of Call-IDs well enough for a handful of shards.
    static func fnv1a<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// MurmurHash3's fmix32. FNV-1a's low bits are weak (the lowest is just the parity of the
    /// bytes' lowest bits, since the prime is odd), and `mod N` for small N reads mostly the
    /// low bits: Call-IDs that differ in one digit would alternate strictly between 2 shards.
    static func finalize(_ h: UInt32) -> UInt32 {
        var h = h
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// `sw<digits>.` at the start: the shard we wrote there.
    static func markedShard<C: Collection>(_ callID: C) -> Int? where C.Element == UInt8 {
        var index = callID.startIndex
        guard index != callID.endIndex, callID[index] == UInt8(ascii: "s") else { return nil }
        index = callID.index(after: index)
        guard index != callID.endIndex, callID[index] == UInt8(ascii: "w") else { return nil }
        index = callID.index(after: index)
        var value = 0, digits = 0
        while index != callID.endIndex, callID[index] >= UInt8(ascii: "0"), callID[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int(callID[index] - UInt8(ascii: "0"))
            digits += 1
            if digits > 4 { return nil }
            index = callID.index(after: index)
        }
        guard digits > 0, index != callID.endIndex, callID[index] == UInt8(ascii: ".") else { return nil }
        return value
    }

    /// The value of the first `Call-ID` (or compact `i`) header of a message, without the
    /// white space around it, folded lines joined (RFC 3261 §7.3.1: header names are
    /// case-insensitive, `HCOLON` allows white space before the colon, a value may continue on
    /// lines that start with SP or HTAB). A Call-ID has no white space inside (§25.1 `word`),
    /// so all of it is dropped: the same call gives the same bytes however the UA spaced it.
    /// Nil when the header section has no Call-ID (such a message is malformed: the parser
    /// answers it on the loop that received it).
    public static func peekCallID(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { peekCallID(in: $0) }
    }

    static func peekCallID(in b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), sp = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        let n = b.count
        // Skip the start line.
        var i = 0
        while i < n, b[i] != lf { i += 1 }
        i += 1
        while i < n {
            // A line starts at i. An empty line ends the header section.
            if b[i] == lf { return nil }
            if b[i] == cr, i + 1 < n, b[i + 1] == lf { return nil }
            let lineStart = i
            // Header name: up to the colon (or the end of the line for a broken one).
            while i < n, b[i] != UInt8(ascii: ":"), b[i] != lf { i += 1 }
            guard i < n, b[i] == UInt8(ascii: ":") else {
                i += 1
                continue
            }
            var nameEnd = i
            while nameEnd > lineStart, b[nameEnd - 1] == sp || b[nameEnd - 1] == tab { nameEnd -= 1 }
            let isCallID = isCallIDName(b, lineStart, nameEnd)
            i += 1  // past the colon
            var value: [UInt8] = []
            // The value runs to the end of this line and every continuation line after it.
            while i < n {
                let c = b[i]
                if c == lf {
                    if i + 1 < n, b[i + 1] == sp || b[i + 1] == tab {
                        i += 1
                        continue  // folded: the value goes on
                    }
                    i += 1
                    break
                }
                if isCallID, c != cr, c != sp, c != tab { value.append(c) }
                i += 1
            }
            if isCallID { return value.isEmpty ? nil : value }
        }
        return nil
    }

    /// "call-id" or "i", any case.
    private static func isCallIDName(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        if length == 1 { return b[start] | 0x20 == UInt8(ascii: "i") }
        guard length == 7 else { return false }
        let name: [UInt8] = Array("call-id".utf8)
        for k in 0..<7 where b[start + k] | 0x20 != name[k] {
            // '-' | 0x20 is '-' (0x2D has the bit set already).
            return false
        }
        return true
    }
}
