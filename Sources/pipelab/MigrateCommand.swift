import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the database or bring its schema up to this pipelab's version.",
        discussion: """
            sweep and run --db migrate the database when they open it; this command only \
            migrates, and lists the migrations applied.

            Example:
              pipelab migrate --db lab.sqlite
            """)

    @OptionGroup var database: DatabaseOption

    func run() throws {
        let store = try database.open(create: true)
        let versions = try store.schemaVersions()
        for migration in try store.appliedMigrations() {
            print(TerminalText.shown("\(migration.version) \(migration.name)  applied \(migration.appliedAt)"))
        }
        print("\(store.path): schema version \(versions.database) (this pipelab knows up to \(versions.binary))")
    }
}
