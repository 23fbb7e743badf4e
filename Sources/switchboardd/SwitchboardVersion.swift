/// Version printed by `--version`; the install script stamps the git commit.
enum SwitchboardVersion {
    static let number = "0.1.0"
    static let commit = "dev"
    static var description: String { "\(number) (\(commit))" }
}
