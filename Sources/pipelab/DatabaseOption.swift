import ArgumentParser
import Foundation
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabSweep
import PipeLabWorker

/// `--db PATH`, else $PIPELAB_DB, else pipelab.sqlite in the working directory.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: "The SQLite database (default: $PIPELAB_DB, else pipelab.sqlite).")
    var explicitPath: String?

    init() {}

    init(explicitPath: String) {
        self.explicitPath = explicitPath
    }

    /// The chosen path, refused when SQLite would not read it as a file: empty (a private
    /// temporary database), `:memory:`, or a `file:` URI. Those would record nothing that lasts.
    func path() throws(InputError) -> String {
        if let explicitPath { return try Self.checked(explicitPath, source: "--db") }
        if let variable = ProcessInfo.processInfo.environment["PIPELAB_DB"] {
            return try Self.checked(variable, source: "PIPELAB_DB")
        }
        return "pipelab.sqlite"
    }

    static func checked(_ path: String, source: String) throws(InputError) -> String {
        let accepted = "accepted: the path of a database file, such as pipelab.sqlite or ./data/lab.sqlite"
        if path.isEmpty { throw InputError("\(source): the path is empty; \(accepted)") }
        if path == ":memory:" { throw InputError("\(source): ':memory:' is an in-memory database that keeps nothing; \(accepted)") }
        if path.hasPrefix("file:") {
            throw InputError("\(source): '\(path)' looks like a SQLite URI, which is not accepted; \(accepted) (write ./\(path) for a file of that name)")
        }
        return path
    }

    /// A missing database, refused with the way to make it that fits where its path came from:
    /// telling a user who passed --db to pass --db would not help.
    private func refuseMissing(_ path: String) throws(InputError) {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        let made: String
        if explicitPath != nil {
            made = "a database that `pipelab sweep --db \(ReproduceCommand.shellQuoted(path))` made"
        } else if ProcessInfo.processInfo.environment["PIPELAB_DB"] != nil {
            made = "a database that `pipelab sweep` made with this PIPELAB_DB"
        } else {
            made = "a database that `pipelab sweep` made here (run it first), or another one given with --db"
        }
        throw InputError("no pipelab database at \(path); accepted: \(made)")
    }

    /// Whether pipelab chose the path itself: neither --db nor $PIPELAB_DB was given, so a
    /// command printed for the user needs no --db either.
    var isDefault: Bool { explicitPath == nil && ProcessInfo.processInfo.environment["PIPELAB_DB"] == nil }

    /// Opens the database to record in it (creating and migrating it with `create`).
    func open(create: Bool, damageCheckNs: Int64 = Store.damageCheckBudgetNs) throws -> Store {
        let path = try path()
        if !create { try refuseMissing(path) }
        do {
            return try Store(path: path, create: create, damageCheckNs: damageCheckNs)
        } catch {
            throw CommandFailure.store(error)
        }
    }

    /// Opens an existing pipelab database read-only and checked as untrusted, for the commands
    /// that only read.
    func openForReading() throws -> Store {
        let path = try path()
        try refuseMissing(path)
        do {
            return try Store(readingFrom: path)
        } catch {
            throw CommandFailure.store(error)
        }
    }
}

extension CommandFailure {
    static func store(_ error: StoreError) -> CommandFailure {
        switch error.kind {
        case .notADatabase, .tooNew: CommandFailure(message: error.message, exitCode: 65)
        case .cannotOpen: CommandFailure(message: error.message, exitCode: 73)
        case .busy: CommandFailure(message: error.message, exitCode: 75)
        case .interrupted: CommandFailure(message: error.message, exitCode: 130)
        case .notFound, .notAFile: CommandFailure(message: error.message, exitCode: 64)
        case .other: CommandFailure(message: error.message, exitCode: 70)
        }
    }
}

/// The command line as typed, quoted so it can be pasted back into a shell.
enum CommandLineText {
    static var current: String {
        (["pipelab"] + CommandLine.arguments.dropFirst()).map(ReproduceCommand.shellQuoted).joined(separator: " ")
    }
}
