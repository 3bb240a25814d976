import Glibc

/// A new folder under /tmp that only this user can enter: mkdtemp makes it with mode 0700 and a
/// name no one can guess and make first, so no other local user can plant or swap a file in it.
package enum PrivateFolder {
    /// - Parameter purpose: what the folder is for, said when it cannot be made.
    package static func make(prefix: String, for purpose: String) throws(SystemError) -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw SystemError("creating a folder for \(purpose)", errno: errno) }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `path` is a folder of this user's (not a link to one) that no one else may write,
    /// made with mode 0700 if nothing is there: a folder at a name others can guess is used only then.
    package static func claim(_ path: String) -> Bool {
        _ = mkdir(path, 0o700)
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == getuid() && info.st_mode & 0o022 == 0
    }
}
