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
            Merging a file twice adds nothing. Inputs are only read, never executed or changed: \
            each is checked first (its tables must be pipelab's at this schema version, its rows \
            within the documented rules; exit 65 naming the file and the rule), all before a new \
            output is created; into an existing output, the rows an input adds are checked as it \
            is merged. Each input is merged in one transaction, in order; a refused input or \
            Ctrl-C (exit 130) leaves the output with the inputs before it.
            """)

    @Argument(help: "The databases to merge into --db.") var inputs: [String] = []
    @OptionGroup var database: DatabaseOption

    func run() throws {
        guard !inputs.isEmpty else { throw InputError("no input database; accepted: pipelab merge --db OUT IN...") }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw InputError("\(input): no such file; accepted: paths of pipelab databases")
        }
        Interrupts.install()
        let stop = { Interrupts.requested }
        // Into a new output every row is copied: all are checked before it exists. An existing
        // output may need few rows or none (a merge again): each input's rows are checked as it
        // is merged, so a refused one leaves the output with the inputs before it.
        let outputExists = FileManager.default.fileExists(atPath: try database.path())
        var checked: [String: FileIdentity] = [:]
        for input in inputs {
            do { checked[input] = try Store.checkMergeInput(input, rows: !outputExists, stop: stop) } catch { throw CommandFailure.store(error) }
        }
        let store = try database.open(create: true, damageCheckNs: Store.mergeDamageCheckNs)
        for input in inputs {
            let added: MergeCounts
            do { added = try store.merge(from: input, checked: checked[input], stop: stop) } catch { throw CommandFailure.store(error) }
            print("\(input): added " + [Plural.count(added.hosts, "host"), Plural.count(added.sweeps, "sweep"), Plural.count(added.runs, "run"), Plural.count(added.steps, "step")].joined(separator: ", ")
                  + (added.updatedSweeps == 0 ? "" : "; updated \(Plural.count(added.updatedSweeps, "sweep")) further along, replacing \(Plural.count(added.replacedRuns, "run"))"))
        }
    }
}
