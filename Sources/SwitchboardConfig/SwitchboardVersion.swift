/// Version printed by `--version`. `scripts/install` stamps the git commit into `commit` for
/// the release build it installs (and puts "dev" back); a plain `swift build` prints "dev".
enum SwitchboardVersion {
    static let number = "0.1.0"
    static let commit = "dev"
    static var description: String { "\(number) (\(commit))" }
}
