import ArgumentParser
import PipeLab

struct SweepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweeps", abstract: "List the sweeps in the database.")

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.openForReading()
        let rows = try store.sweeps().map { s in
            [String(s.id), s.name, s.status.rawValue, "\(s.recordedRuns)/\(s.plannedRuns)", s.startedAt, "\(s.host.hostname) (\(s.host.kernel))", String(s.uuid.prefix(8))]
        }
        print(TextTable.render(header: ["id", "name", "status", "runs", "started", "host", "uuid"], rows: rows), terminator: "")
    }
}
