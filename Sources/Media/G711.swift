/// ITU-T G.711 companding: µ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8),
/// RFC 3551 §4.5.14. Table-driven: encoding indexes a 64 Ki-entry table by the sample's bit
/// pattern, decoding a 256-entry table, so the per-packet cost is one load per sample.
///
/// The tables are built once from the segment/quantisation rules of G.711 Tables 1a/1b/2a/2b
/// (the same rules as the widely used Sun reference code), so every codeword decodes to the
/// mid-point of its quantisation interval and `encode(decode(x)) == x` for every codeword.
public enum G711 {
    /// The two G.711 laws. North America and Japan use µ-law; most of the rest of the world A-law.
    public enum Law: String, Sendable, Hashable, CaseIterable {
        case ulaw = "PCMU"
        case alaw = "PCMA"

        /// The codeword for a zero sample: what an idle stream sends so the far end keeps timing.
        public var silence: UInt8 { self == .ulaw ? 0xFF : 0xD5 }

        /// Static RTP payload type (RFC 3551 Table 4).
        public var staticPayloadType: UInt8 { self == .ulaw ? 0 : 8 }
    }

    // MARK: Public scalar API

    @inline(__always)
    public static func encodeULaw(_ sample: Int16) -> UInt8 { tables.ulawEncode[Int(UInt16(bitPattern: sample))] }
    @inline(__always)
    public static func decodeULaw(_ code: UInt8) -> Int16 { tables.ulawDecode[Int(code)] }
    @inline(__always)
    public static func encodeALaw(_ sample: Int16) -> UInt8 { tables.alawEncode[Int(UInt16(bitPattern: sample))] }
    @inline(__always)
    public static func decodeALaw(_ code: UInt8) -> Int16 { tables.alawDecode[Int(code)] }

    @inline(__always)
    public static func encode(_ sample: Int16, law: Law) -> UInt8 {
        law == .ulaw ? encodeULaw(sample) : encodeALaw(sample)
    }
    @inline(__always)
    public static func decode(_ code: UInt8, law: Law) -> Int16 {
        law == .ulaw ? decodeULaw(code) : decodeALaw(code)
    }

    /// Re-encodes a codeword from one law to the other (G.711 Tables 3/4 are defined this way:
    /// decode, then encode). Used by the relay when the two legs negotiated different laws.
    @inline(__always)
    public static func transcode(_ code: UInt8, from: Law, to: Law) -> UInt8 {
        if from == to { return code }
        return from == .ulaw ? tables.ulawToALaw[Int(code)] : tables.alawToULaw[Int(code)]
    }

    public static func encode(_ samples: [Int16], law: Law) -> [UInt8] {
        samples.map { encode($0, law: law) }
    }
    public static func decode(_ codes: [UInt8], law: Law) -> [Int16] {
        codes.map { decode($0, law: law) }
    }

    /// Largest difference between a sample and its decoded codeword: half the width of the
    /// biggest quantisation step (µ-law top segment 1024 wide, A-law 1024), used by tests.
    public static func maxQuantisationError(law: Law) -> Int { 1024 }

    // MARK: Tables

    struct Tables: Sendable {
        let ulawEncode: [UInt8]
        let ulawDecode: [Int16]
        let alawEncode: [UInt8]
        let alawDecode: [Int16]
        let ulawToALaw: [UInt8]
        let alawToULaw: [UInt8]
    }

    static let tables: Tables = {
        var ue = [UInt8](repeating: 0, count: 65536)
        var ae = [UInt8](repeating: 0, count: 65536)
        for i in 0..<65536 {
            let s = Int(Int16(bitPattern: UInt16(i)))
            ue[i] = linearToULaw(s)
            ae[i] = linearToALaw(s)
        }
        let ud = (0..<256).map { uLawToLinear(UInt8($0)) }
        let ad = (0..<256).map { aLawToLinear(UInt8($0)) }
        let u2a = (0..<256).map { ae[Int(UInt16(bitPattern: ud[$0]))] }
        let a2u = (0..<256).map { ue[Int(UInt16(bitPattern: ad[$0]))] }
        return Tables(ulawEncode: ue, ulawDecode: ud, alawEncode: ae, alawDecode: ad, ulawToALaw: u2a, alawToULaw: a2u)
    }()

    /// µ-law works on 14-bit magnitudes with a bias of 33 so that segment boundaries are powers
    /// of two (G.711 §3.2); codewords are sent inverted (all bits complemented).
    private static let ulawSegmentEnds = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
    /// A-law works on 13-bit magnitudes; even bits are inverted on the wire (XOR 0x55).
    private static let alawSegmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]

    private static func segment(_ value: Int, _ ends: [Int]) -> Int {
        for (i, end) in ends.enumerated() where value <= end { return i }
        return ends.count
    }

    static func linearToULaw(_ sample: Int) -> UInt8 {
        var v = sample >> 2
        let mask: Int
        if v < 0 { v = -v; mask = 0x7F } else { mask = 0xFF }
        v = min(v, 8159) + 33
        let seg = segment(v, ulawSegmentEnds)
        if seg >= 8 { return UInt8(0x7F ^ mask) }
        let code = (seg << 4) | ((v >> (seg + 1)) & 0x0F)
        return UInt8(code ^ mask)
    }

    static func uLawToLinear(_ code: UInt8) -> Int16 {
        let u = Int(~code)
        var t = ((u & 0x0F) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        return Int16((u & 0x80) != 0 ? 0x84 - t : t - 0x84)
    }

    static func linearToALaw(_ sample: Int) -> UInt8 {
        var v = sample >> 3
        let mask: Int
        if v >= 0 { mask = 0xD5 } else { mask = 0x55; v = -v - 1 }
        let seg = segment(v, alawSegmentEnds)
        if seg >= 8 { return UInt8(0x7F ^ mask) }
        var code = seg << 4
        code |= seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F
        return UInt8(code ^ mask)
    }

    static func aLawToLinear(_ code: UInt8) -> Int16 {
        let a = Int(code ^ 0x55)
        var t = (a & 0x0F) << 4
        let seg = (a & 0x70) >> 4
        switch seg {
        case 0: t += 8
        case 1: t += 0x108
        default: t += 0x108; t <<= seg - 1
        }
        return Int16((a & 0x80) != 0 ? t : -t)
    }
}
