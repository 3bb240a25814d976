import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// When a database holds one spec's runs from several hosts (told apart by their facts, not their
/// names: `HostRuns.key`): a section per host, and the cells whose signatures differ between two
/// hosts, judged as `pipelab compare` judges two sweeps (Fisher's exact test, family-wise α = 0.01
/// per pair). Each host is compared with the first host before it that shares cells with it; a host
/// that shares none with any is said so, not compared.
public enum HostSections {
    public static func render(_ hosts: [HostRuns]) -> String {
        guard hosts.count > 1 else { return "" }
        var out = "\n## Hosts\n\nThis spec was recorded on \(hosts.count) hosts (told apart by kernel, OS, architecture, CPUs and socket sysctls, not by host name); each host's runs are pooled over its sweeps.\n"
        for (number, entry) in hosts.enumerated() {
            let host = entry.host
            let runs = entry.cells.reduce(0) { $0 + $1.runs }
            let cells = Set(entry.cells.map(\.scenario)).count
            let racing = Dictionary(grouping: entry.cells, by: \.scenario).values.count { $0.count > 1 }
            out += "\n### Host \(number + 1): " + Markdown.text("Linux \(host.kernel), \(host.os), \(host.arch), \(host.cpus) CPUs") + "\n\n"
            out += "Recorded as " + entry.hostnames.map(Markdown.text).joined(separator: ", ") + "; sweeps "
                + entry.sweeps.map { String($0.id) }.joined(separator: ", ")
                + ": \(runs) runs in \(cells) cells, \(Set(entry.cells.map(\.signature)).count) signatures, \(racing) cells with more than one.\n"
        }
        out += "\n### Cells whose signatures differ between hosts\n\n"
        let cellSets = hosts.map { Set($0.cells.map(\.scenario)) }
        for index in hosts.indices.dropFirst() {
            guard let partner = (0..<index).first(where: { !cellSets[$0].isDisjoint(with: cellSets[index]) }) else {
                out += "Host \(index + 1) shares no cell with an earlier host: not compared.\n\n"
                continue
            }
            let (first, other) = (hosts[partner], hosts[index])
            let comparison = SweepComparison(a: record(first), cellsA: first.cells, b: record(other), cellsB: other.cells)
            let differing = comparison.cells(.differs)
            let shared = cellSets[partner].intersection(cellSets[index]).count
            let names = "Host \(partner + 1) (A) and host \(index + 1) (B), \(shared) cells in common"
            guard !differing.isEmpty else {
                out += "\(names): no cell differs (p ≤ \(CompareReport.pValue(comparison.threshold)) per cell).\n\n"
                continue
            }
            out += "\(names): \(differing.count) cells differ (p ≤ \(CompareReport.pValue(comparison.threshold)) per cell).\n\n"
            out += Markdown.table(["cell", "A", "B", "p"], differing.map { cell in
                [Markdown.text(cell.scenario.label), signatures(cell, \.a), signatures(cell, \.b), cell.test.map { CompareReport.pValue($0.p) } ?? ""]
            }, rightAligned: [3]) + "\n"
        }
        return out
    }

    /// A host's runs stand in for a sweep in the comparison, with a UUID of their own so that two
    /// hosts are never taken for the same sweep.
    package static func record(_ entry: HostRuns) -> SweepRecord {
        var record = entry.sweeps[0]
        record.uuid = HostRuns.key(entry.host)
        return record
    }

    package static func signatures(_ cell: SweepComparison.Cell, _ side: KeyPath<SweepComparison.SignatureCount, Int>) -> String {
        cell.counts.filter { $0[keyPath: side] > 0 }.map { Markdown.code($0.signature) + " \($0[keyPath: side])" }.joined(separator: " · ")
    }
}
