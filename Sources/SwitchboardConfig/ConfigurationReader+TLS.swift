import Foundation
import Yams

extension ConfigurationReader {
    mutating func tls(_ node: Node, base: String) -> SwitchboardConfiguration.TLS? {
        guard let map = node.mapping else { fail(node, "expected a mapping with certificate and private-key"); return nil }
        let known: Set<String> = ["certificate", "private-key", "client-ca", "verify-clients", "ca"]
        var certificate: String?, key: String?, clientCA: String?, ca: String?
        var verify = false
        var verifyNode: Node?
        func resolved(_ file: String) -> String { file.hasPrefix("/") || base.isEmpty ? file : base + "/" + file }
        for (k, v) in map {
            switch k.string ?? "" {
            case "certificate":
                if let s = scalar(v) { certificate = resolved(s); checkPEM(v, certificate!, kind: "certificate", marker: "CERTIFICATE") }
            case "private-key":
                if let s = scalar(v) { key = resolved(s); checkPEM(v, key!, kind: "private-key", marker: "PRIVATE KEY") }
            case "client-ca":
                if let s = scalar(v) { clientCA = resolved(s); checkPEM(v, clientCA!, kind: "client-ca", marker: "CERTIFICATE") }
            case "ca":
                if let s = scalar(v) { ca = resolved(s); checkPEM(v, ca!, kind: "ca", marker: "CERTIFICATE") }
            case "verify-clients":
                verifyNode = v
                switch scalar(v) {
                case "true": verify = true
                case "false": verify = false
                case let other?: fail(v, "verify-clients is true or false, got '\(other)'")
                case nil: break
                }
            default: unknownKey(k, known: known)
            }
        }
        guard let certificate else { fail(node, "tls needs certificate: (a PEM certificate chain file)"); return nil }
        guard let key else { fail(node, "tls needs private-key: (the PEM key of the certificate)"); return nil }
        if verify, clientCA == nil { fail(verifyNode ?? node, "verify-clients: true needs client-ca: (the PEM CAs client certificates must chain to)") }
        var tls = SwitchboardConfiguration.TLS(certificateFile: certificate, privateKeyFile: key)
        tls.clientCAFile = clientCA
        tls.verifyClients = verify
        tls.trustedCAFile = ca
        return tls
    }

    /// The file must exist, be readable and hold a PEM block of `marker` (the daemon parses
    /// it for real at start; this catches the usual mistakes with their line in the config).
    mutating func checkPEM(_ node: Node, _ path: String, kind: String, marker: String) {
        guard FileManager.default.fileExists(atPath: path) else {
            fail(node, "\(kind) file '\(path)' does not exist")
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            fail(node, "\(kind) file '\(path)' cannot be read (permissions?)")
            return
        }
        let text = String(decoding: data.prefix(1 << 20), as: UTF8.self)
        guard text.contains("-----BEGIN"), text.contains(marker) else {
            fail(node, "\(kind) file '\(path)' holds no PEM \(marker.lowercased()) (-----BEGIN … \(marker)-----)")
            return
        }
    }

    /// TLS listeners and TLS trunks need the `tls:` section.
    mutating func checkTLSUse(_ config: SwitchboardConfiguration, listenNode: Node?, tlsNode: Node?) {
        guard config.tls == nil, tlsNode == nil else { return }
        if let listener = config.listen.first(where: \.usesTLS) {
            fail(listenNode ?? Node(""), "listener \(listener) needs a certificate: add tls: { certificate: FILE, private-key: FILE }")
        }
    }
}
