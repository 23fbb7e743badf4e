import Foundation
import Logging

/// One line per event on stderr, `level message key=value …`, which journald keeps readable
/// and grep can search. No timestamps: journald adds its own.
public struct KeyValueLogHandler: LogHandler {
    public let label: String
    /// A level set on one logger wins; otherwise the daemon-wide level, which a reload changes.
    private var ownLevel: Logger.Level?
    public var logLevel: Logger.Level {
        get { ownLevel ?? LogLevelControl.shared.level }
        set { ownLevel = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, level: Logger.Level? = nil) {
        self.label = label
        self.ownLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        // Secrets and card data never reach the journal (see LogRedaction).
        var line = "\(event.level) \(LogRedaction.scrub("\(event.message)"))"
        for key in merged.keys.sorted() {
            let value = LogRedaction.isSecretKey(key) ? LogRedaction.mask : LogRedaction.scrub("\(merged[key]!)")
            line += " \(key)=\(Self.quote(value))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Values with spaces or quotes are quoted so each line splits unambiguously.
    public static func quote(_ s: String) -> String {
        if s.isEmpty { return "\"\"" }
        if s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) {
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        return s
    }
}
