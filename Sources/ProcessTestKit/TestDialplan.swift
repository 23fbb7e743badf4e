import Foundation

/// Builds a throwaway dialplan directory for one test: one account whose tracking numbers
/// route to the plans given as YAML text.
public struct TestDialplan {
    public let directory: URL

    public init(plans: String, numbers: [String: String] = ["+13125550100": "main"], callerID: String = "caller",
                extra: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dialplans-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var yaml = """
        account: test-account
        timezone: America/Chicago
        caller-id: \(callerID)
        numbers:

        """
        for (number, plan) in numbers.sorted(by: { $0.key < $1.key }) {
            yaml += "  \"\(number)\": { plan: \(plan), source: test-source }\n"
        }
        yaml += extra
        yaml += "plans:\n" + plans
        try yaml.write(to: directory.appendingPathComponent("test-account.yaml"), atomically: true, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }

    /// The plans of the most common test: `main` rings every target at once for `timeout`.
    public static func ringAll(_ targets: String..., timeout: String = "10s") -> String {
        "  main:\n    ring-all: { targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))], timeout: \(timeout) }\n"
    }
}
