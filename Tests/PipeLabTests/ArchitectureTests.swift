import Foundation
import Testing

/// The pipeline's arrows (Package.swift): a source file imports only the pipelab targets its own
/// target depends on. SwiftPM alone does not guarantee that a backward import fails to build (a
/// module built earlier for another target may be found), so this reads both sides and compares.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Target name → (source folder, the pipelab targets it may import), as Package.swift declares.
    static func declaredTargets() throws -> [String: (path: String, dependencies: Set<String>)] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let pattern = try NSRegularExpression(
            pattern: #"\.target\(name: "(PipeLab\w+)",\s*dependencies: \[([^\]]*)\][^)]*?path: "([^"]+)""#)
        var targets: [String: (String, Set<String>)] = [:]
        let range = NSRange(manifest.startIndex..., in: manifest)
        for match in pattern.matches(in: manifest, range: range) {
            func group(_ i: Int) -> String { String(manifest[Range(match.range(at: i), in: manifest)!]) }
            let dependencies = group(2).split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            targets[group(1)] = (group(3), Set(dependencies.filter { $0.hasPrefix("PipeLab") }))
        }
        return targets
    }

    @Test func everyTargetImportsOnlyTheStagesBelowIt() throws {
        let targets = try Self.declaredTargets()
        #expect(targets.count == 7, "Package.swift should declare the seven stages, found \(targets.keys.sorted())")
        var violations: [String] = []
        for (name, target) in targets {
            let folder = Self.root.appendingPathComponent(target.path)
            let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
            #expect(!files.isEmpty, "\(name) has no sources at \(target.path)")
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import PipeLab") {
                    let imported = String(line.dropFirst("import ".count))
                    if !target.dependencies.contains(imported) {
                        violations.append("\(file.lastPathComponent) (\(name)) imports \(imported)")
                    }
                }
            }
        }
        #expect(violations.isEmpty, "backward or undeclared imports: \(violations.sorted())")
    }
}
