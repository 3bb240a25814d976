import Foundation
import Testing

/// What a clone holds: a README that is a front page, a committed Package.resolved, and no path
/// of the machine that generated a file.
@Suite struct RepositoryTests {
    static func git(_ arguments: [String]) throws -> CLI.Output {
        try CLI.run(["-C", ReadmeCommandTests.repository.path] + arguments, executable: "/usr/bin/git")
    }

    /// At most 250 lines; its h2 headings name the kernel's answers; no code line wider than
    /// GitHub's 980 px column shows without scrolling: about 100 characters (the commands are kept
    /// to 90; pipelab's own output, shown as it prints it, is up to 98).
    @Test func theReadmeIsAFrontPage() {
        let lines = ReadmeCommandTests.text(of: "README.md").components(separatedBy: "\n")
        #expect(lines.count <= 251, "README.md has \(lines.count) lines")
        let outline = lines.filter { $0.hasPrefix("## ") }.joined(separator: "\n")
        for answer in ["EPIPE", "ECONNRESET", "SIGPIPE"] { #expect(outline.contains(answer), "no h2 heading names \(answer)") }
        var inFence = false
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            // The install line is one line by contract (.ci/run reads it): it may scroll.
            let isInstallLine = line.hasPrefix("sudo apt-get install -y ")
            #expect(!inFence || isInstallLine || line.count <= 100, "README.md line \(index + 1) is \(line.count) characters wide")
        }
    }

    @Test func packageResolvedIsCommitted() throws {
        #expect(try Self.git(["ls-files", "--error-unmatch", "Package.resolved"]).status == 0, "Package.resolved is not tracked")
        #expect(!ReadmeCommandTests.text(of: ".gitignore").contains("Package.resolved"))
    }

    /// Reports and samples are generated on some machine: none may name its folders.
    @Test func noFileNamesAPathOfTheMachineThatMadeIt() throws {
        let files = try Self.git(["ls-files", "--cached", "--others", "--exclude-standard"]).stdout.split(separator: "\n")
        #expect(files.count > 50)
        for file in files where file != "Tests/PipeLabTests/RepositoryTests.swift" {
            let url = ReadmeCommandTests.repository.appendingPathComponent(String(file))
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for path in ["/work/", "/root/", "/home/", "/tmp/tmp.", "/tmp/pipelab-test-"] {
                #expect(!text.contains(path), "\(file) names \(path)…")
            }
        }
    }
}
