import Foundation

/// The bearer token that guards the admin/metrics endpoint (`admin-token-file:`).
///
/// Read from a file of its own (never written in the configuration, so the YAML can be shared
/// and logged), and never printed: `description` is redacted, so a configuration dumped in a
/// log or a test failure does not leak it. Compared in constant time.
public struct AdminToken: Sendable, Equatable, CustomStringConvertible {
    /// Shorter tokens are refused: a guessable bearer token is worse than none, since it
    /// invites opening the port. 16 characters of a random token are ~96 bits and more.
    public static let minimumLength = 16
    public static let maximumLength = 4096

    let bytes: [UInt8]

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (Self.minimumLength...Self.maximumLength).contains(trimmed.utf8.count),
              trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        bytes = Array(trimmed.utf8)
    }

    /// Whether an HTTP `Authorization` header value carries this token (`Bearer <token>`,
    /// scheme case-insensitive per RFC 6750 §2.1 / RFC 9110 §11.1). Constant time in the
    /// token's length, so a remote timer learns nothing about how much of a guess matched.
    public func matches(authorization header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let offered = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        var difference = UInt8(offered.count == bytes.count ? 0 : 1)
        for i in 0..<bytes.count {
            difference |= bytes[i] ^ (i < offered.count ? offered[i] : 0)
        }
        return difference == 0
    }

    /// The value for an `Authorization` header (for the CLI).
    public var authorizationHeader: String { "Bearer " + String(decoding: bytes, as: UTF8.self) }

    public var description: String { "<admin token, \(bytes.count) characters>" }

    /// Reads a token file, refusing one that others may read (it grants the admin endpoint).
    /// The error text is the diagnostic's message.
    public static func read(path: String) -> Result<AdminToken, AdminTokenError> {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(.init(message: "cannot read admin-token-file '\(path)': no such file"))
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            return .failure(.init(message: "admin-token-file '\(path)' may be read by other users (mode \(String(mode & 0o777, radix: 8))): chmod 600 it"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.init(message: "cannot read admin-token-file '\(path)'"))
        }
        guard let token = AdminToken(String(decoding: data, as: UTF8.self)) else {
            return .failure(.init(message: "admin-token-file '\(path)' must hold one token of \(minimumLength) to \(maximumLength) printable characters (e.g. openssl rand -hex 32)"))
        }
        return .success(token)
    }
}

public struct AdminTokenError: Error, Sendable {
    public let message: String
}
