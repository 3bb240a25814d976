import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// `report --out` and `compare --out` write every file or none, through unpredictable names.
@Suite struct OutputFileTests {
    static func databaseWithTwoSweeps() throws -> URL {
        let directory = try temporaryDirectory()
        for _ in 0..<2 {
            #expect(try CLI.run(["run", "--transport", "unix", "--sleep", "0", "--db", "lab.sqlite"], in: directory).status == 0)
        }
        return directory
    }

    /// The old writer used `.NAME.PID.tmp`: symlinks planted there for the next pids must not be followed.
    @Test(arguments: [["report", "1", "--out", "r.md"], ["compare", "1", "2", "--out", "r.md"]])
    func aSymlinkPlantedAtAGuessableNameIsNotFollowed(_ command: [String]) throws {
        let directory = try Self.databaseWithTwoSweeps()
        let victim = directory.appendingPathComponent("victim")
        try Data("precious\n".utf8).write(to: victim)
        let lastPid = Int((try String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for pid in lastPid...(lastPid + 400) {
            symlink(victim.path, directory.appendingPathComponent(".r.md.\(pid).tmp").path)
        }
        let output = try CLI.run(command + ["--db", "lab.sqlite"], in: directory)
        // compare's exit status is its finding (0, 1, 2: two one-run sweeps cannot tell); the files are checked here.
        #expect(output.stderr.isEmpty && !output.signaled, "\(output.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix(".tmp") && !$0.hasPrefix("lab.sqlite-") }
        let charts = names.filter { $0.hasPrefix("r-") && $0.hasSuffix(".svg") }
        #expect(Set(names).subtracting(charts) == ["lab.sqlite", "victim", "r.md"])
        #expect(charts.contains("r-heatmap.svg") == (command[0] == "report"))
        let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("r.md").path)[.posixPermissions] as? Int
        #expect(mode == 0o644 & ~Int(umaskValue()))
    }

    /// A directory given as an output is bad input, refused before any work: the database named
    /// here does not exist, and the run is not made.
    @Test(arguments: [(["report", "1", "--out", "X.md"], "report.md"), (["compare", "1", "2", "--out", "X.md"], "comparison.md"),
                      (["compare", "1", "2", "--format", "json", "--out", "X.md"], "comparison.json"),
                      (["run", "--sleep", "0", "--pcap", "X.md"], "capture.pcapng")])
    func aDirectoryInTheWayIsBadInput(_ command: [String], example: String) throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("X.md"), withIntermediateDirectories: false)
        let output = try CLI.run(command + ["--db", "lab.sqlite"], in: directory)
        let option = command.contains("--pcap") ? "--pcap" : "--out"
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stdout.isEmpty)
        #expect(output.stderr == "pipelab: \(option): X.md is a directory; accepted: a file path such as \(example), new or a regular file, in an existing directory\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["X.md"])
    }

    @Test(arguments: [["report", "1", "--out", "nowhere/c.md"], ["compare", "1", "2", "--out", "nowhere/c.md"],
                      ["run", "--sleep", "0", "--pcap", "nowhere/c.pcapng"]])
    func aMissingDirectoryIsBadInput(_ command: [String]) throws {
        let directory = try temporaryDirectory()
        let output = try CLI.run(command + ["--db", "lab.sqlite"], in: directory)
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stdout.isEmpty && output.stderr.split(separator: "\n").count == 1)
        #expect(output.stderr.contains(": the directory nowhere does not exist; accepted: a file path such as "), "\(output.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// A write that fails while writing (a read-only file system) exits 73 with the problem and
    /// the one file it hit; the report's other files are only counted.
    @Test func aFailedWriteNamesTheFileThatFailed() throws {
        guard geteuid() == 0 else { return }  // a read-only mount needs root
        let directory = try Self.databaseWithTwoSweeps()
        let mount = try TmpfsMount()
        defer { mount.remove() }
        try mount.makeReadOnly()
        let out = mount.directory.appendingPathComponent("r.md").path
        let output = try CLI.run(["report", "1", "--out", out, "--db", "lab.sqlite"], in: directory)
        #expect(output.status == 73, "\(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1)
        let heatmap = mount.directory.appendingPathComponent("r-heatmap.svg").path
        #expect(output.stderr.hasPrefix("pipelab: cannot write \(heatmap): creating a temporary file beside it: Read-only file system"), "\(output.stderr)")
        #expect(output.stderr.components(separatedBy: ".svg").count == 2 && !output.stderr.contains(out), "\(output.stderr)")
        #expect(output.stderr.contains("; nothing was written (nor the ") && output.stderr.hasSuffix(" other files)\n"), "\(output.stderr)")
    }

    /// A FIFO, a device node (a copy of /dev/null made with mknod) and a link to a device are never
    /// replaced by a regular file: refused with one line before the run, and nothing is recorded.
    @Test func specialFilesAreRefusedBeforeTheRun() throws {
        let directory = try temporaryDirectory()
        let fifo = directory.appendingPathComponent("fifo").path
        let device = directory.appendingPathComponent("null").path
        let link = directory.appendingPathComponent("stdout-like").path
        #expect(mkfifo(fifo, 0o600) == 0)
        var null = stat()
        #expect(stat("/dev/null", &null) == 0)
        #expect(mknod(device, S_IFCHR | 0o666, null.st_rdev) == 0)
        #expect(symlink(device, link) == 0)
        for (target, kind) in [(fifo, "a FIFO"), (device, "a device"), (link, "a device")] {
            let output = try CLI.run(["run", "--sleep", "0", "--pcap", target, "--db", "lab.sqlite"], in: directory)
            #expect(output.status == 64, "\(target): \(output.stderr)")
            #expect(output.stderr.split(separator: "\n").count == 1 && output.stderr.contains("--pcap:"), "\(output.stderr)")
            #expect(output.stderr.contains("\(target) is \(kind), which would be replaced by a regular file"), "\(output.stderr)")
            #expect(output.stdout.isEmpty)
        }
        let report = try CLI.run(["report", "--out", link + ".md"], in: directory)
        #expect(report.status != 0)
        var status = stat()
        #expect(stat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(device, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("lab.sqlite").path))
        let empty = try CLI.run(["run", "--sleep", "0", "--pcap", ""], in: directory)
        #expect(empty.status == 64 && empty.stderr.contains("--pcap: the path is empty") && empty.stdout.isEmpty, "\(empty.stderr)")
    }

    /// A link to a regular file is written through: the file gets the content, the link stays.
    @Test func aLinkToARegularFileIsWrittenThrough() throws {
        let directory = try Self.databaseWithTwoSweeps()
        let target = directory.appendingPathComponent("target.md").path
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: target))
        let link = directory.appendingPathComponent("link.md").path
        #expect(symlink(target, link) == 0)
        let output = try CLI.run(["compare", "1", "2", "--out", "link.md", "--db", "lab.sqlite"], in: directory)
        // compare's exit status is its finding (0, 1, 2); the file is what is checked here.
        #expect(output.stderr.isEmpty && !output.signaled, "\(output.stderr)")
        var status = stat()
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("pipelab compare"))
    }

    /// A FIFO or a device given as a database is refused at once; it would hang SQLite's open.
    @Test(.timeLimit(.minutes(1)), arguments: [["sweeps"], ["report"], ["run", "--sleep", "0"], ["merge", "IN"], ["sweep", "--sleep", "0"]])
    func aFIFOIsNotADatabase(_ command: [String]) throws {
        let directory = try temporaryDirectory()
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let merging = command == ["merge", "IN"]
        let arguments = merging ? ["merge", "--db", "out.sqlite", fifo] : command + ["--db", fifo]
        let output = try CLI.run(arguments, in: directory)
        #expect(output.status == 64, "\(command): \(output.stderr)")
        #expect(output.stderr.contains("is a FIFO, not a database file"), "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.sqlite").path))
    }

    /// Read, not set and restored: other tests spawn processes meanwhile.
    private func umaskValue() -> mode_t {
        let status = FileManager.default.contents(atPath: "/proc/self/status").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t($0.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022
    }
}
