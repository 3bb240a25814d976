import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// `pipelab compare --format json`: the comparison as one JSON object for scripts (README,
/// "pipelab compare"). Keys keep their order, so the output diffs well.
public enum CompareJSON {
    public static func render(_ comparison: SweepComparison) -> String {
        JSONValue.object([
            ("verdict", .string(["no-difference", "different", "nothing-compared"][Int(comparison.exitCode.rawValue)])),
            ("compared", .int(Int64(comparison.compared))),
            ("same_sweep", .bool(comparison.sameSweep)),
            ("a", sweep(comparison.a)),
            ("b", sweep(comparison.b)),
            ("test", .object([
                ("alpha", .number(SweepComparison.alpha)),
                ("correction", .string("bonferroni-tarone")),
                ("testable_cells", .int(Int64(comparison.testableCells))),
                ("threshold", .number(comparison.threshold)),
                ("repeats_for_complete_split", comparison.repeatsForCompleteSplit.map { .int(Int64($0)) } ?? .null),
            ])),
            ("cells", .array(comparison.cells.map(cell))),
        ]).text + "\n"
    }

    package static func sweep(_ record: SweepRecord) -> JSONValue {
        .object([
            ("id", .int(record.id)), ("uuid", .string(record.uuid)), ("name", .string(record.name)),
            ("status", .string(record.status.rawValue)), ("host", .string(record.host.hostname)),
            ("kernel", .string(record.host.kernel)), ("runs", .int(Int64(record.recordedRuns))),
        ])
    }

    package static func cell(_ cell: SweepComparison.Cell) -> JSONValue {
        .object([
            ("cell", .string(cell.scenario.label)),
            ("parameters", .object(cell.scenario.parameterStrings.map { ($0.name, .string($0.value)) })),
            ("verdict", .string(cell.verdict.rawValue)),
            ("runs_a", .int(Int64(cell.runsA))),
            ("runs_b", .int(Int64(cell.runsB))),
            ("signatures", .array(cell.counts.map { count in
                .object([("signature", .string(count.signature)), ("a", .int(Int64(count.a))), ("b", .int(Int64(count.b)))])
            })),
            ("method", cell.test.map { .string($0.method.rawValue) } ?? .null),
            ("p_value", cell.test.map { .number($0.p) } ?? .null),
            ("smallest_possible_p_value", cell.test.map { .number($0.smallestPossibleP) } ?? .null),
        ])
    }
}
