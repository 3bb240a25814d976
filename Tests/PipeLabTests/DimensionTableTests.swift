import Foundation
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabWorker
import Testing

/// Walks the dimension table: every dimension, given a value other than its default, goes from its
/// flag through a real run into its database column, the JSON output, the report's and terminal's
/// axes (a real sweep over the default and the value), the wire record, a spec file and a
/// reproduce command, and comes back the same value each time.
@Suite struct DimensionTableTests {
    /// A value other than the run default that a real run can take: a built-in value, another
    /// choice, else a small number.
    static func sample(_ dimension: ScenarioDimension) throws -> DimensionValue {
        let candidates = dimension.builtIn + (dimension.choices ?? []).map { DimensionValue.name($0) }
            + ["1", "2", "1%"].compactMap { try? dimension.parse($0, label: "test") }
        return try #require(candidates.first { value in
            var scenario = Scenario.classic
            dimension.set(value, in: &scenario)
            return value != dimension.runDefault && scenario.inapplicableReason == nil
        }, "\(dimension.name): no value other than the default")
    }

    @Test(arguments: Dimensions.all.map(\.name))
    func flagColumnJSONAxisWireSpecAndReproduceRoundTrip(_ name: String) throws {
        let dimension = try #require(Dimensions.named(name))
        let value = try Self.sample(dimension), text = dimension.format(value)
        #expect(try dimension.parse(text, label: dimension.flag) == value, "\(name): \(text) does not parse back")

        // Flag → a real run → JSON and the database column.
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("walk.sqlite").path
        let sleep = name == Dimensions.sleep.name ? [] : ["--sleep", "0"]
        let output = try CLI.run(["run", "--json", "--db", database, dimension.flag, text] + sleep)
        #expect(output.status == 0, "\(name): \(output.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let parameters = try #require(json["parameters"] as? [String: String])
        #expect(parameters[dimension.name] == text, "\(name): JSON has \(parameters[dimension.name] ?? "nothing")")
        #expect(Set(parameters.keys) == Set(Dimensions.all.map(\.name)))
        let column = try CLIShell.sqlite3(database, "SELECT quote(\(dimension.column)) FROM runs;").stdout
        let expected: String = switch dimension.stored(value) {
        case .text(let text): "'\(text)'"
        case .integer(let number): String(number)
        case .real(let number): String(number)
        }
        #expect(column == expected + "\n", "\(name): column \(dimension.column) holds \(column)")
        let store = try Store(readingFrom: database)
        let decoded = try store.db.prepare("SELECT * FROM runs").rows { (row: Row) throws(StoreError) in try row.scenario() }
        #expect(decoded.map(dimension.value(of:)) == [value])

        // The axis a report draws for it, and the cell label (compare's and the heatmap's tooltips).
        #expect(!dimension.axisLabel.isEmpty)
        var scenario = Scenario.classic
        dimension.set(value, in: &scenario)
        #expect(scenario.label.contains(text), "\(name): label \(scenario.label)")
        try Self.axesLabel(dimension, value, in: directory)

        // The worker's wire record.
        let record = WireMessage.job(token: 7, scenario: scenario, lossSeed: 3).encode()
        let back = record.withUnsafeBufferPointer { WireMessage.decode($0) }
        #expect(back == .job(token: 7, scenario: scenario, lossSeed: 3))

        // A spec file's key, the stored spec, and the reproduce command.
        let file = try SpecFile.parse(Data(#"{"\#(dimension.specKey)": ["\#(text)"]}"#.utf8), source: "spec.json").applied(to: .builtIn)
        #expect(file[dimension] == [value])
        #expect(Dimensions.all.filter { $0.name != name }.allSatisfy { file[$0] == [$0.runDefault] })
        let stored = try SpecFile.parse(Data(file.json().utf8), source: "stored").applied(to: .builtIn)
        #expect(stored == file)
        let options = ReproduceCommand.options(file)
        #expect(options.contains("\(dimension.flag) \(text)"), "\(name): \(options)")
        var reproduced = SpecOverrides()
        for option in options {
            let parts = option.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            try reproduced.set(String(parts[0].dropFirst(2)), parts[1], label: parts[0])
        }
        #expect(reproduced.applied(to: .builtIn) == file)
    }

    /// A real sweep over the dimension's default and `value`: the terminal matrix names both (a row's
    /// label, or a header line named by the dimension), the heatmap draws both cells in their
    /// colours with both values labelled, and the stored spec reproduces the sweep's flag.
    static func axesLabel(_ dimension: ScenarioDimension, _ value: DimensionValue, in directory: URL) throws {
        let name = dimension.name, values = [dimension.runDefault, value], both = dimension.format(values)
        let database = directory.appendingPathComponent("axes.sqlite").path
        let sleep = name == Dimensions.sleep.name ? [] : ["--sleep", "0"]
        let output = try CLI.run(["sweep", "--db", database, dimension.flag, both, "--repeat", "1", "--matrix"] + sleep)
        #expect(output.status == 0, "\(name): \(output.stderr)")
        let lines = output.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        if Axes.rows.contains(where: { $0.name == name }) {
            #expect(values.allSatisfy { value in lines.contains { $0.contains(dimension.format(value)) } }, "\(name): \(output.stdout)")
        } else {
            // In the axis's order: the declared one, or by size.
            #expect(lines.contains { $0.first == name && Set($0.dropFirst()) == Set(values.map(dimension.format)) && $0.count == 3 },
                    "\(name): no header line '\(name)' with \(both) in \(output.stdout)")
        }
        let store = try Store(readingFrom: database)
        let svg = Heatmap.svg(try store.chartData(sweepIDs: [1]))
        #expect(values.allSatisfy { svg.contains(dimension.format($0) + "</text>") }, "\(name): the heatmap does not label \(both)")
        let squares = try ChartTests.squareKinds(svg)
        #expect(squares.ran.count == 2 && squares.missing.isEmpty && squares.impossible.isEmpty, "\(name): \(squares)")
        let spec = try #require(SweepSpec.stored(try store.sweep(id: 1).spec))
        #expect(ReproduceCommand.options(spec).contains("\(dimension.flag) \(both)"), "\(name): \(ReproduceCommand.options(spec))")
    }

    @Test func theTableIsConsistent() {
        let all = Dimensions.all
        #expect(Set(all.map(\.name)).count == all.count)
        #expect(Set(all.map(\.column)).count == all.count)
        #expect(Set(all.map(\.axisLabel)).count == all.count)
        #expect(SweepSpec.keys.starts(with: all.map(\.specKey)))
        // The classic case is every default; the built-in grid every built-in value.
        #expect(all.allSatisfy { $0.value(of: .classic) == $0.runDefault })
        #expect(all.allSatisfy { SweepSpec.builtIn[$0] == $0.builtIn })
        // The wire record holds a job: kind, token, every dimension, seed and capture.
        #expect(WireMessage.slots >= 3 + all.count)
        // Every rule names the dimensions it reads and gives a reason for some combination.
        #expect(Dimensions.impossible.allSatisfy { !$0.dimensions.isEmpty })
    }

    /// A sweep's omitted dimension takes the `pipelab run` default; no dimension at all: the built-in grid.
    @Test func anOmittedDimensionTakesTheRunDefault() throws {
        var overrides = SpecOverrides()
        try overrides.set("transport", "tcp4", label: "--transport")
        try overrides.set("repeat", "30", label: "--repeat")
        let spec = overrides.applied(to: .builtIn)
        #expect(Grid(spec).cells.count == 1)
        #expect(Grid(spec).cells.first == Scenario.classic)
        #expect(spec.probeSleep == nil && spec.linkSleep == nil)
        var none = SpecOverrides()
        try none.set("repeat", "2", label: "--repeat")
        var builtIn = SweepSpec.builtIn
        builtIn.repeats = 2
        #expect(none.applied(to: .builtIn) == builtIn)
    }
}
