import ArgumentParser
import Glibc
import PipeLab

/// Hidden: the worker mode the recorder spawns. Not for people.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", shouldDisplay: false)

    func run() throws {
        Glibc.exit(WorkerMain.serve())
    }
}
