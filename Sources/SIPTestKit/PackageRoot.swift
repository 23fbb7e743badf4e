import Foundation

/// The package's root directory (two levels above Sources/SIPTestKit): SIPp scenarios,
/// fixtures, sample dialplans and the built binaries are found from here.
public enum PackageRoot {
    public static let url: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
