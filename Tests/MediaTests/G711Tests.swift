import Media
import Testing

@Suite struct G711Tests {
    // Reference values from the Sun G.711 reference implementation (Python's audioop).
    static let vectors: [(Int16, UInt8, UInt8)] = [
        (0, 0xFF, 0xD5), (1, 0xFF, 0xD5), (-1, 0x7E, 0x55), (100, 0xF2, 0xD3), (-100, 0x72, 0x53),
        (1000, 0xCE, 0xFA), (-1000, 0x4E, 0x7A), (5000, 0xAB, 0x86), (-5000, 0x2B, 0x06),
        (12345, 0x97, 0xBD), (-12345, 0x17, 0x3D), (32767, 0x80, 0xAA), (-32768, 0x00, 0x2A),
        (2047, 0xBE, 0xEA), (-2048, 0x3E, 0x6A),
    ]
    static let decodeVectors: [(UInt8, Int16, Int16)] = [
        (0x00, -32124, -5504), (0x7F, 0, -848), (0x80, 32124, 5504), (0xFF, 0, 848), (0x55, -716, -8),
        (0xD5, 716, 8), (0xAA, 5372, 32256), (0x2A, -5372, -32256), (0x10, -15996, -2752), (0x9A, 10876, 4032),
    ]

    @Test func encodeVectors() {
        for (s, u, a) in Self.vectors {
            #expect(G711.encodeULaw(s) == u, "µ-law \(s)")
            #expect(G711.encodeALaw(s) == a, "A-law \(s)")
        }
    }

    @Test func decodeVectorsMatch() {
        for (c, u, a) in Self.decodeVectors {
            #expect(G711.decodeULaw(c) == u, "µ-law \(c)")
            #expect(G711.decodeALaw(c) == a, "A-law \(c)")
        }
    }

    @Test func silenceCodewords() {
        #expect(G711.Law.ulaw.silence == G711.encodeULaw(0))
        #expect(G711.Law.alaw.silence == G711.encodeALaw(0))
    }

    @Test(arguments: G711.Law.allCases)
    func everyCodewordRoundTrips(law: G711.Law) {
        for c in 0...255 {
            let code = UInt8(c)
            if law == .ulaw && code == 0x7F { continue }  // µ-law's "negative zero" re-encodes as 0xFF
            #expect(G711.encode(G711.decode(code, law: law), law: law) == code)
        }
    }

    @Test(arguments: G711.Law.allCases)
    func everySampleWithinQuantisation(law: G711.Law) {
        var previous = Int.min
        var worst = 0
        var nonMonotonic = 0
        for s in stride(from: Int(Int16.min), through: Int(Int16.max), by: 1) {
            let decoded = Int(G711.decode(G711.encode(Int16(s), law: law), law: law))
            worst = max(worst, abs(decoded - s))
            // Companding is monotonic: louder input never decodes quieter.
            if decoded < previous { nonMonotonic += 1 }
            previous = decoded
        }
        #expect(worst <= G711.maxQuantisationError(law: law))
        #expect(nonMonotonic == 0)
    }

    @Test func transcodeMatchesDecodeEncode() {
        for c in 0...255 {
            let code = UInt8(c)
            #expect(G711.transcode(code, from: .ulaw, to: .alaw) == G711.encodeALaw(G711.decodeULaw(code)))
            #expect(G711.transcode(code, from: .alaw, to: .ulaw) == G711.encodeULaw(G711.decodeALaw(code)))
            #expect(G711.transcode(code, from: .alaw, to: .alaw) == code)
        }
    }
}
