import ArgumentParser
import Glibc
import PipeLabExperiment
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

/// Hidden: the worker mode the recorder spawns. Not for people.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", shouldDisplay: false)

    @Option(help: .private) var recorder: Int32?
    @Flag(help: .private) var netns = false
    @Option(name: .customLong("client-cmd"), help: .private) var clientCommand: String?

    func run() throws {
        guard let recorder else {
            throw InputError("worker is pipelab's internal mode, started by `pipelab sweep` and `pipelab run` with a channel to them; accepted: those commands")
        }
        Glibc.exit(WorkerMain.serve(recorder: recorder, isolate: netns, userCommand: clientCommand))
    }
}
