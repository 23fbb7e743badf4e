/// The one version of both binaries (`switchboardd --version`, `switchboard --version`, the
/// `switchboard_build_info` metric). `scripts/install` stamps the git commit into `commit` for
/// the release build it installs (and puts "dev" back); a plain `swift build` prints "dev".
public enum SwitchboardVersion {
    public static let number = "0.1.0"
    public static let commit = "dev"
    public static var description: String { "\(number) (\(commit))" }
}
