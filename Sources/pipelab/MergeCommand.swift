import ArgumentParser
import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Copy the sweeps of other pipelab databases (shards, machines) into one, by UUID.",
        discussion: """
            Merging a file twice adds nothing. Inputs are never changed: an older one is migrated \
            in a temporary copy. Each input is merged in one transaction, in order; the first that \
            fails (not a pipelab database, or from a newer pipelab: exit 65) stops the merge, and \
            leaves the database with what the inputs before it added.
            """)

    @Argument(help: "The databases to merge into --db.") var inputs: [String] = []
    @OptionGroup var database: DatabaseOption

    func run() throws {
        guard !inputs.isEmpty else { throw InputError("no input database; accepted: pipelab merge --db OUT IN...") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw InputError("\(input): no such file; accepted: paths of pipelab databases")
        }
        let store = try database.open(create: true)
        for input in inputs {
            let added: MergeCounts
            do { added = try store.merge(from: input) } catch { throw CommandFailure.store(error) }
            print("\(input): added " + [Plural.count(added.hosts, "host"), Plural.count(added.sweeps, "sweep"), Plural.count(added.runs, "run"), Plural.count(added.steps, "step")].joined(separator: ", "))
        }
    }
}
