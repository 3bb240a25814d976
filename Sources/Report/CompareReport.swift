import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// `pipelab compare A B` as Markdown: the hosts side by side, the verdict and how it was reached,
/// then the cells by verdict, each as its table of signature counts. Signatures are written as
/// themselves (run-length compacted), as in the report and the terminal.
public enum CompareReport {
    public static func render(_ comparison: SweepComparison) -> String {
        let a = comparison.a, b = comparison.b
        var out = "# pipelab compare: \(Markdown.text(a.name)) (A) and \(Markdown.text(b.name)) (B)\n\n"
        if comparison.sameSweep {
            return out + "**Same sweep**: A and B are both sweep \(a.id) (\(Markdown.code(a.uuid))); a sweep is identical to itself, so nothing differs.\n"
        }
        out += Markdown.table(["", "A", "B"], [
            ["sweep", "\(a.id) (" + Markdown.code(a.uuid) + ")", "\(b.id) (" + Markdown.code(b.uuid) + ")"],
            ["status", a.status.rawValue, b.status.rawValue],
            ["host", Markdown.text(a.host.hostname), Markdown.text(b.host.hostname)],
            ["kernel", Markdown.text(a.host.kernel), Markdown.text(b.host.kernel)],
            ["os", Markdown.text(a.host.os), Markdown.text(b.host.os)],
            ["arch, CPUs", Markdown.text("\(a.host.arch), \(a.host.cpus)"), Markdown.text("\(b.host.arch), \(b.host.cpus)")],
            ["pipelab", Markdown.text(a.pipelabVersion), Markdown.text(b.pipelabVersion)],
            ["started", Markdown.text(a.startedAt), Markdown.text(b.startedAt)],
            ["runs", String(a.recordedRuns), String(b.recordedRuns)],
        ])
        out += "\nGrids:\n\n- A: \(grid(a))\n- B: \(grid(b))\n"
        out += "\n## Verdict\n\n" + verdict(comparison)
        let threshold = "p ≤ " + pValue(comparison.threshold)
        let sections: [(SweepComparison.Verdict, String, String)] = [
            (.differs, "Cells that differ", "The test finds these cells' signature counts different in A and B (\(threshold))."),
            (.notEnoughRepeats, "Not enough repeats to tell",
             "The runs of these cells disagree, but there are too few of them for any split to reach \(threshold): "
                + repeatsAdvice(comparison)),
            (.noSignificantDifference, "Disagreeing runs without a significant difference",
             "The runs of these cells disagree, but the test does not find A and B different: p is above \(pValue(comparison.threshold))."),
            (.allDisturbed, "Cells with no undisturbed run in one sweep",
             "The machine disturbed every run of these cells in A or in B, so they have nothing to be compared with: rerun them there."),
        ]
        for (verdict, title, intro) in sections where !comparison.cells(verdict).isEmpty {
            out += "\n## \(title)\n\n\(intro)\n\n"
            out += Markdown.table(["cell", "signature", "A", "B", "p"], comparison.cells(verdict).flatMap { cell in
                cell.counts.enumerated().map { index, count in
                    [index == 0 ? Markdown.text(cell.scenario.label) : "", Markdown.code(SignatureText.compact(count.signature)),
                     "\(count.a)/\(cell.runsA)", "\(count.b)/\(cell.runsB)", index == 0 ? cell.test.map { pValue($0.p) } ?? "" : ""]
                }
            }, rightAligned: [2, 3, 4])
        }
        for (verdict, side) in [(SweepComparison.Verdict.onlyInA, "A"), (.onlyInB, "B")] where !comparison.cells(verdict).isEmpty {
            out += "\n## Cells only in \(side)\n\n"
            out += Markdown.table(["cell", "signature", "runs"], comparison.cells(verdict).flatMap { cell in
                cell.counts.enumerated().map { index, count in
                    let runs = side == "A" ? (count.a, cell.runsA) : (count.b, cell.runsB)
                    return [index == 0 ? Markdown.text(cell.scenario.label) : "", Markdown.code(SignatureText.compact(count.signature)), "\(runs.0)/\(runs.1)"]
                }
            }, rightAligned: [2])
        }
        let tabled = [SweepComparison.Verdict.differs, .notEnoughRepeats, .noSignificantDifference, .allDisturbed, .onlyInA, .onlyInB]
            .contains { !comparison.cells($0).isEmpty }
        if tabled {
            // The label's form is the table's: dimensions shown always, then the others where set (`recv`, `rtt 20ms`).
            let always = Dimensions.all.filter { $0.labelForm == .always }.map(\.name)
            let whereSet = Dimensions.all.filter { $0.labelForm != .always }.map(\.name)
            out += "\n## Legend\n\nA cell is named " + Markdown.text(always.joined(separator: "/"))
                + Markdown.text(" (then \(Plural.list(whereSet)) where they are not at their defaults)")
                + "; A and B count the runs with each signature out of the cell's runs in that sweep that the machine did not disturb; "
                + "p is the test's two-sided p-value.\n"
        }
        return out
    }

    /// The overall verdict, what the cells in both sweeps came to, and how they were judged.
    /// The counts first (never a bare verdict): cells compared, differing, too few repeats, in
    /// one sweep only; then how the cells were judged.
    package static func verdict(_ comparison: SweepComparison) -> String {
        let count = { (verdict: SweepComparison.Verdict) in comparison.cells(verdict).count }
        let onlyOne = count(.onlyInA) + count(.onlyInB)
        var headline = "**\(Plural.count(comparison.compared, "cell")) compared, \(count(.differs)) differ significantly**"
        headline += "; \(count(.notEnoughRepeats)) with too few repeats to tell; \(onlyOne) in one sweep only (A: \(count(.onlyInA)), B: \(count(.onlyInB)))"
            + (count(.allDisturbed) > 0 ? "; \(count(.allDisturbed)) with every run disturbed in one sweep." : ".")
        // Every count below is of undisturbed runs, as a report's verdicts are.
        if comparison.disturbedA + comparison.disturbedB > 0 {
            headline += " Runs the machine disturbed are left out (A: \(comparison.disturbedA), B: \(comparison.disturbedB))."
        }
        if comparison.compared == 0 {
            headline += " No cell could be compared" + (count(.notEnoughRepeats) > 0 ? ": " + repeatsAdvice(comparison) : ".")
            return headline + "\n"
        }
        let breakdown = [(SweepComparison.Verdict.same, "one signature in every undisturbed run of both sweeps"),
                         (.noSignificantDifference, "disagreeing runs but no significant difference")]
            .filter { count($0.0) > 0 }.map { " Of those compared, with \($0.1): \(count($0.0))." }.joined()
        let reachable = comparison.cells.count { ($0.test?.smallestPossibleP ?? 1) <= comparison.threshold }
        let method = "Each cell in both sweeps whose runs disagree is a table of its signatures' run counts in A and B, tested with Fisher's exact test "
            + "(Freeman-Halton with more than two signatures; Pearson's chi-square beyond 100,000 tables). "
            + "Family-wise α = \(pValue(SweepComparison.alpha)) with Bonferroni's correction over k, the smallest number with at most k cells "
            + "whose run counts could reach p ≤ α/k (Tarone; here k = \(comparison.testableCells), with \(reachable) such "
            + "\(reachable == 1 ? "cell" : "cells")): a cell differs when p ≤ \(pValue(comparison.threshold))."
        return headline + breakdown + "\n\n" + method + "\n"
    }

    /// How many runs each side has in the cells with too few, and how many would do. With as many
    /// runs on both sides: the n for which a complete split reaches the strictest threshold possible
    /// here. Otherwise the side with fewer is grown, against the other side's runs as recorded,
    /// until its runs all of one signature would reach it in every such cell.
    package static func repeatsAdvice(_ comparison: SweepComparison) -> String {
        let cells = comparison.cells(.notEnoughRepeats)
        guard !cells.isEmpty else { return "" }
        let tested = max(1, comparison.cells.count { $0.test != nil })
        let threshold = SweepComparison.alpha / Double(tested)
        func runs(_ values: [Int]) -> String {
            let low = values.min() ?? 0, high = values.max() ?? 0
            return low == high ? "\(low)" : "\(low) to \(high)"
        }
        var text = "these cells have \(runs(cells.map(\.runsA))) runs each in A and \(runs(cells.map(\.runsB))) in B (undisturbed)."
        let shortA = cells.allSatisfy { $0.runsA < $0.runsB }, shortB = cells.allSatisfy { $0.runsB < $0.runsA }
        let atThreshold = "would reach p ≤ \(pValue(SweepComparison.alpha))/\(tested)"
        if shortA || shortB, let needed = cells.map({ runsNeeded($0, growingA: shortA, threshold: threshold) }).reduce(Optional(0), { a, b in
            guard let a, let b else { return nil }
            return max(a, b)
        }) {
            let side = shortA ? "A" : "B"
            text += " With \(needed) runs of one signature in \(side) against the other's as recorded, a complete split \(atThreshold): rerun \(side) with `--repeat \(needed)` or more (more if the split is partial)."
        } else if let n = comparison.repeatsForCompleteSplit {
            text += " With \(n) runs in each, a complete split (every run one signature in A, another in B) \(atThreshold): rerun both with `--repeat \(n)` or more (more if the split is partial)."
        }
        return text
    }

    /// The fewest runs the shorter side needs, all of one signature, for the cell's test to reach
    /// `threshold` against the other side's counts; nil when no n up to `limit` does.
    package static func runsNeeded(_ cell: SweepComparison.Cell, growingA: Bool, threshold: Double, limit: Int = 200) -> Int? {
        let other = cell.counts.map { growingA ? $0.b : $0.a }
        let start = (growingA ? cell.runsA : cell.runsB) + 1
        guard start <= limit else { return nil }
        return (start...limit).first { n in
            other.indices.contains { s in
                ContingencyTest(other.indices.map { i in growingA ? (a: i == s ? n : 0, b: other[i]) : (a: other[i], b: i == s ? n : 0) }).p <= threshold
            }
        }
    }

    /// Three significant digits: `0.486`, `0.00794`, `1.45e-11`.
    public static func pValue(_ p: Double) -> String {
        String(format: "%.3g", p)
    }

    package static func grid(_ sweep: SweepRecord) -> String {
        guard let spec = SweepSpec.stored(sweep.spec) else { return "–" }
        return Markdown.code(ReproduceCommand.of(spec).replacingFirst("pipelab sweep ", with: ""))
    }
}

extension String {
    package func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
