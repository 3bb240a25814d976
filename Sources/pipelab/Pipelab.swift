import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabReport
import PipeLabStore

/// The root command only routes; each subcommand lives in its own file.
struct Pipelab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelab",
        abstract: "What really happens when a program writes to a connection whose other end is gone.",
        version: "pipelab \(PipeLabVersion.current)",
        subcommands: [RunCommand.self, SweepCommand.self, SweepsCommand.self, ReportCommand.self, CompareCommand.self, MergeCommand.self, MigrateCommand.self, WorkerCommand.self]
    )
}
