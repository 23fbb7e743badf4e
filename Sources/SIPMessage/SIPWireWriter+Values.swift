/// Appends the typed values straight into the output buffer, byte for byte what their
/// `description` gives, without building intermediate Strings (the serialiser's hot path).
extension SIPWireWriter {
    @inline(__always) mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }
    @inline(__always) mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func append(parameters: [(name: String, value: String?)]) {
        for p in parameters {
            bytes.append(UInt8(ascii: ";"))
            append(p.name)
            if let v = p.value { bytes.append(UInt8(ascii: "=")); append(v) }
        }
    }

    mutating func append(host: String) {
        if host.utf8.contains(UInt8(ascii: ":")) {
            bytes.append(UInt8(ascii: "[")); append(host); bytes.append(UInt8(ascii: "]"))
        } else {
            append(host)
        }
    }

    mutating func append(uri: SIPURI) {
        if !uri.isSIP, let opaque = uri.opaque {
            append(uri.scheme); bytes.append(UInt8(ascii: ":")); append(opaque)
            return
        }
        append(uri.scheme); bytes.append(UInt8(ascii: ":"))
        if let user = uri.user {
            append(user)
            if let password = uri.password { bytes.append(UInt8(ascii: ":")); append(password) }
            bytes.append(UInt8(ascii: "@"))
        }
        append(host: uri.host)
        if let port = uri.port { bytes.append(UInt8(ascii: ":")); append(String(port)) }
        append(parameters: uri.parameters)
        for (i, h) in uri.headers.enumerated() {
            bytes.append(UInt8(ascii: i == 0 ? "?" : "&"))
            append(h.name); bytes.append(UInt8(ascii: "=")); append(h.value)
        }
    }

    mutating func append(nameAddress na: NameAddress) {
        if let d = na.displayName, !d.isEmpty {
            bytes.append(UInt8(ascii: "\"")); append(d); bytes.append(UInt8(ascii: "\"")); bytes.append(0x20)
        }
        bytes.append(UInt8(ascii: "<")); append(uri: na.uri); bytes.append(UInt8(ascii: ">"))
        append(parameters: na.parameters)
    }

    mutating func append(via v: Via) {
        append("SIP/"); append(v.version); bytes.append(UInt8(ascii: "/")); append(v.transport); bytes.append(0x20)
        append(host: v.host)
        if let port = v.port { bytes.append(UInt8(ascii: ":")); append(String(port)) }
        append(parameters: v.parameters)
    }

    mutating func startHeader(_ name: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: ":")); bytes.append(0x20)
    }

    mutating func endLine() { bytes.append(0x0D); bytes.append(0x0A) }

    mutating func header(_ name: StaticString, nameAddress: NameAddress) {
        startHeader(name); append(nameAddress: nameAddress); endLine()
    }

    mutating func header(via: Via) {
        startHeader("Via"); append(via: via); endLine()
    }
}
