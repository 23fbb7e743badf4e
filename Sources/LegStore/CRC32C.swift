/// CRC-32C (Castagnoli), the checksum of each journal record: it catches torn writes and
/// flipped bits far better than a length check alone. Table-driven, 8 bits at a time: fast
/// enough for ~100-byte records (tens of ns), no dependency.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        // Arrays and slices (every record) are read through a buffer pointer: no index
        // checks or iterator per byte. The same loop either way.
        if let crc = bytes.withContiguousStorageIfAvailable({ update(0xFFFF_FFFF, $0) }) { return crc ^ 0xFFFF_FFFF }
        return update(0xFFFF_FFFF, bytes) ^ 0xFFFF_FFFF
    }

    private static func update(_ start: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = start
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc
    }
}
