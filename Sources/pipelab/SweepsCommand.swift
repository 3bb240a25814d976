import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep

struct SweepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweeps",
        abstract: "List the sweeps in the database.",
        discussion: """
            The uuid column shows as much of each UUID as tells it from the others (at least 8 \
            characters); report, compare and sweep --resume accept it, the id or the name.

            Example:
              pipelab sweeps --db lab.sqlite
            """)

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.openForReading()
        let sweeps = try store.sweeps()
        let uuids = UUIDPrefix.shortestUnique(sweeps.map(\.uuid))
        let rows = zip(sweeps, uuids).map { s, uuid in
            [String(s.id), s.name, s.status.rawValue, "\(s.recordedRuns)/\(s.plannedRuns)", s.startedAt, "\(s.host.hostname) (\(s.host.kernel))", uuid]
        }
        print(TextTable.render(header: ["id", "name", "status", "runs", "started", "host", "uuid"], rows: rows), terminator: "")
    }
}
