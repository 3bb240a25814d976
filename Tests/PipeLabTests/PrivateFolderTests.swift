import Foundation
import Glibc
@testable import PipeLabKernel
import Testing

/// Folders whose contents pipelab runs or reads back: made private, or used only when private.
@Suite struct PrivateFolderTests {
    @Test func aMadeFolderIsThisUsersAlone() throws {
        let folder = try PrivateFolder.make(prefix: "pipelab-test-private", for: "a test")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var info = stat()
        #expect(lstat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == getuid())
    }

    @Test func aGuessableFolderIsClaimedOnlyWhenNoOneElseMayWriteIt() throws {
        let directory = try temporaryDirectory()
        let fresh = directory.appendingPathComponent("fresh").path
        #expect(PrivateFolder.claim(fresh))
        #expect(PrivateFolder.claim(fresh), "a second claim of one's own folder")
        let open = directory.appendingPathComponent("open").path
        #expect(mkdir(open, 0o700) == 0 && chmod(open, 0o777) == 0)
        #expect(!PrivateFolder.claim(open))
        let link = directory.appendingPathComponent("link").path
        #expect(symlink(fresh, link) == 0)
        #expect(!PrivateFolder.claim(link), "a link to a private folder may be swapped")
        let file = directory.appendingPathComponent("file").path
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        #expect(!PrivateFolder.claim(file))
        guard geteuid() == 0 else { return }  // giving a folder to nobody needs root
        let others = directory.appendingPathComponent("others").path
        #expect(mkdir(others, 0o700) == 0 && chown(others, 65534, 65534) == 0)
        #expect(!PrivateFolder.claim(others), "nobody's folder")
    }
}
