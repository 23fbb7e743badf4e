import Foundation
import SIPTestKit

/// Messages of one kind found in a SIPp message trace; `received` keeps only those SIPp
/// received (true) or sent (false).
func tracedMessages(_ trace: String, startingWith prefix: String, received: Bool? = nil) -> [String] {
    trace.components(separatedBy: "----------------------------------------------- ")
        .compactMap { block -> String? in
            if let received, block.contains("message received") != received { return nil }
            guard let start = block.range(of: "\n\n") else { return nil }
            let message = String(block[start.upperBound...]).replacingOccurrences(of: "\r\n", with: "\n")
            return message.hasPrefix(prefix) ? message : nil
        }
}

func header(_ name: String, in message: String) -> String? {
    for line in message.split(separator: "\n") where line.lowercased().hasPrefix(name.lowercased() + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Final (≥ 200) statuses the caller received, in order.
func finalStatuses(_ run: SIPpRun.Result) -> [Int] {
    tracedMessages(run.messages, startingWith: "SIP/2.0 ").compactMap { message in
        let parts = message.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]), code >= 200 else { return nil }
        return code
    }
}
