import PipeLabExperiment
import PipeLabStore

/// Why the repeats of racing cells differ, cell by cell: over a lossy link, where the runs Why
/// tells show drops (whatever the sleep); at a sleep under 1 ms, where the later sends and the
/// peer's ending overlap; otherwise at a longer sleep, which `MarkdownReport.settledRaces` tells
/// (over a link whose round trip the sleep does not cover, the peer's ending can fall between
/// later sends).
package struct RaceCauses {
    package var lossy: [Scenario] = []
    package var short: [Scenario] = []
    package var settled: Set<Scenario> = []

    package init(_ cells: [Scenario], examples: [CellExample]) {
        let dropped = Set(examples.filter { $0.run.scenario.lossBasisPoints > 0 && $0.run.packets.contains(where: \.lost) }.map(\.run.scenario))
        for cell in cells {
            if dropped.contains(cell) {
                lossy.append(cell)
            } else if cell.sleepNs < RunEvidence.settledSleepNs {
                short.append(cell)
            } else {
                settled.insert(cell)
            }
        }
    }
}
