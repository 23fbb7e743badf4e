import SIPDNS

/// A DNS response (RFC 1035 §4, compression pointers included) through the parser the SRV
/// and A/AAAA lookups use. Accepted responses are walked the way `SIPServerLocator` does.
enum DNSFuzz {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let response = try? DNSMessage.parse(Array(bytes)) else { return }
        for srv in response.srvRecords {
            _ = response.addresses(of: srv.target)
            _ = DNSMessage.query(id: response.id, name: srv.target, type: .a)
        }
        _ = response.addresses(of: response.questionName)
        _ = DNSMessage.query(id: response.id, name: response.questionName, type: .srv)
    }
}
