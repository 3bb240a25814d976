import ArgumentParser
import PipeLab

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Show what differs between two sweeps, as Markdown.")

    @Argument(help: "Sweep A: id, name, UUID prefix or latest.") var a: String
    @Argument(help: "Sweep B.") var b: String
    @Option(help: "Write the comparison here instead of standard output.") var out: String?
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.openForReading()
        let text: String
        do {
            text = CompareReport.render(try store.reportData(sweepID: try store.findSweep(a).id),
                                        try store.reportData(sweepID: try store.findSweep(b).id))
        } catch {
            throw CommandFailure.store(error)
        }
        if let out { try OutputFile.write([.init(path: out, content: text)]) } else { print(text, terminator: "") }
    }
}
