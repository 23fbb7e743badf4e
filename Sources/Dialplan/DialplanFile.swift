import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One dialplan file as last read and parsed, with what a reload needs to know whether it
/// changed (issue 17 item 3): its stat signature, its content hash, the prompt files and
/// sound directories its checks read, and the day its date-dependent warnings were made.
struct DialplanFile {
    let path: String
    /// The file's stat when it was read; nil when in memory or unreadable.
    var signature: FileSignature?
    /// When the content was read (wall clock): a signature is only trusted for files
    /// modified well before it (see `isUnchanged`).
    var readAt: timespec
    /// Hash of the content; nil when it could not be read.
    var contentHash: Int?
    var spec: AccountSpec?
    /// Parse diagnostics, then the file's plan-graph diagnostics.
    var diagnostics: [Diagnostic]
    /// Files and directories the checks read (prompts, sound sets), as they were then.
    var dependencies: [(path: String, signature: FileSignature?)]
    /// Today (UTC) when parsed, if a diagnostic depended on it (porting FOC dates).
    var day: String?
    /// The compiled account, made the first time a table needs it and kept while the file
    /// stays unchanged.
    var unit: DialplanUnit?
    /// Position in the directory's sorted listing: "first" among duplicate claims.
    var rank = 0

    /// Whether the file's stat says it is as read, and the dependencies too, and the day.
    /// A modification within the timestamp granularity after the read leaves the same stat
    /// ("racy" in git's words): a file whose mtime is not clearly before the read is
    /// reported changed, so its content is read and hashed again.
    func isUnchanged(now signature: FileSignature?, today: String) -> Bool {
        guard let signature, signature == self.signature, !signature.isRacy(readAt: readAt) else { return false }
        return dependenciesUnchanged(today: today)
    }

    func dependenciesUnchanged(today: String) -> Bool {
        if let day, day != today { return false }
        for dependency in dependencies {
            let now = FileSignature(path: dependency.path)
            guard now == dependency.signature else { return false }
            if let now, now.isRacy(readAt: readAt) { return false }
        }
        return true
    }
}

/// What stat(2) says of a file: any change of content changes the size or mtime, or the
/// ctime (a rename over it changes the inode).
struct FileSignature: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mtime: timespec
    var ctime: timespec

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        mtime = info.st_mtim
        ctime = info.st_ctim
    }

    static func == (a: FileSignature, b: FileSignature) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec
            && a.ctime.tv_sec == b.ctime.tv_sec && a.ctime.tv_nsec == b.ctime.tv_nsec
    }

    /// Modified (or its inode changed) less than a second before `readAt`: a later write
    /// could carry the same coarse timestamp.
    func isRacy(readAt: timespec) -> Bool {
        let latest = max(mtime.tv_sec, ctime.tv_sec)
        return latest + 1 >= readAt.tv_sec
    }
}

extension timespec {
    static var now: timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }
}

/// A whole file read with POSIX calls (Foundation's `contents(atPath:)` leaks its buffer on
/// an empty file, and a reload reads only a few files, so the stat comes from the same fd).
enum FileRead {
    enum Outcome {
        case contents([UInt8], FileSignature)
        case empty
        case unreadable
        case tooLarge
    }

    /// Files larger than this are refused (a dialplan of a million numbers is ~50 MB in all,
    /// spread over many files).
    static let maximumSize = 256 << 20

    static func read(_ path: String) -> Outcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .unreadable }
        if info.st_size == 0 { return .empty }
        guard info.st_size <= maximumSize else { return .tooLarge }
        let signature = FileSignature(info)
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { return .unreadable }
            if got == 0 { break }
            filled += got
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes.isEmpty ? .empty : .contents(bytes, signature)
    }

    static func hash(_ bytes: [UInt8]) -> Int {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
