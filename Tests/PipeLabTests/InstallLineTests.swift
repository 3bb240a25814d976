import Foundation
import Testing

/// README.md's install line is the one list of system packages: `.ci/run` installs exactly it,
/// and it names the package of every tool the tests and the documented commands call.
@Suite struct InstallLineTests {
    static var packages: [String] {
        ReadmeCommandTests.text(of: "README.md").components(separatedBy: "\n")
            .filter { $0.hasPrefix("sudo apt-get install -y ") }
            .flatMap { $0.dropFirst("sudo apt-get install -y ".count).split(separator: " ").map(String.init) }
    }

    @Test func theReadmeHasOneInstallLineAndCIReadsIt() {
        let lines = ReadmeCommandTests.text(of: "README.md").components(separatedBy: "\n")
        #expect(lines.filter { $0.contains("apt-get install") && !$0.contains("`") }.count == 1)
        #expect(ReadmeCommandTests.text(of: ".ci/run").contains("sed -n 's/^sudo apt-get install -y //p' README.md"))
    }

    /// The tests' and the sources' files (not this one, which names every tool).
    static var sources: [URL] {
        ["Tests", "Sources"].flatMap { folder -> [URL] in
            let root = ReadmeCommandTests.repository.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? []
            return files.filter { ["swift", "h", "modulemap"].contains($0.pathExtension) && $0.lastPathComponent != "InstallLineTests.swift" }
        }
    }

    /// The tools, and the Debian package that ships each.
    @Test(arguments: [("sqlite3", "sqlite3"), ("tcpdump", "tcpdump"), ("rsvg-convert", "librsvg2-bin"), ("jq", "jq"),
                      ("git", "git"), ("sqlite3.h", "libsqlite3-dev"), ("strace", "strace")])
    func everyToolUsedIsInTheLine(tool: String, package: String) {
        #expect(Self.packages.contains(package), "README.md's install line lacks \(package), which ships \(tool)")
        let used = (["README.md"] + ReadmeCommandTests.documents).contains { ReadmeCommandTests.text(of: $0).contains(tool) }
            || Self.sources.contains { ((try? String(contentsOf: $0, encoding: .utf8)) ?? "").contains(tool) }
        #expect(used, "\(tool) is used nowhere: take \(package) out of the install line")
    }
}
