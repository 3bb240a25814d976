import ArgumentParser
import Foundation
import PipeLab

/// `--db PATH`, else $PIPELAB_DB, else pipelab.sqlite in the working directory.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: "The SQLite database (default: $PIPELAB_DB, else pipelab.sqlite).")
    var explicitPath: String?

    init() {}

    init(explicitPath: String) {
        self.explicitPath = explicitPath
    }

    var path: String {
        explicitPath ?? ProcessInfo.processInfo.environment["PIPELAB_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "pipelab.sqlite"
    }

    /// Opens the database to record in it (creating and migrating it with `create`).
    func open(create: Bool) throws -> Store {
        do {
            return try Store(path: path, create: create)
        } catch {
            throw CommandFailure.store(error)
        }
    }

    /// Opens an existing pipelab database read-only, for the commands that only read.
    func openForReading() throws -> Store {
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
        case .notFound: CommandFailure(message: error.message, exitCode: 64)
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
