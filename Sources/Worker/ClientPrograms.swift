import Foundation
import PipeLabExperiment
import PipeLabKernel

/// Where the shipped client programs are, how each runtime runs one, and which are installed.
/// The compiled ones (C, Java, Go, Rust) are built once into a cache named after their source's
/// content, so an edited program is built again and a built one is reused by every worker.
package enum ClientPrograms {
    /// Why a client cannot run on this machine: its runtime (or strace) is not installed, or its
    /// program would not build.
    package struct Unavailable: Error, Equatable, CustomStringConvertible {
        package var reason: String
        package var description: String { reason }
    }

    /// The folder of the shipped programs: PIPELAB_CLIENTS, else Clients/ in the source tree this
    /// binary was built from.
    package static var sourceFolder: String {
        if let folder = ProcessInfo.processInfo.environment["PIPELAB_CLIENTS"], !folder.isEmpty { return folder }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Clients").path
    }

    /// The programs whose commands each client needs, in PATH.
    private static func tools(_ client: ClientProgram) -> [String] {
        switch client {
        case .harness, .command: []
        case .c: ["cc"]
        case .python: ["python3"]
        case .node: ["node"]
        case .perl: ["perl"]
        case .java: ["javac", "java"]
        case .go: ["go"]
        case .rust: ["rustc"]
        }
    }

    private static func sourceFile(_ client: ClientProgram) -> String? {
        switch client {
        case .harness, .command: nil
        case .c: "client.c"
        case .python: "client.py"
        case .node: "client.js"
        case .perl: "client.pl"
        case .java: "Client.java"
        case .go: "client.go"
        case .rust: "client.rs"
        }
    }

    /// Of `clients`, the real ones that cannot run here, with why: a sweep leaves them out of its
    /// grid. Compiled clients are built here, once, before any worker needs them.
    package static func unavailable(_ clients: [ClientProgram], userCommand: String?) -> [ClientProgram: String] {
        var reasons: [ClientProgram: String] = [:]
        for client in clients where client.isReal {
            if case .failure(let unavailable) = command(for: client, userCommand: userCommand) { reasons[client] = unavailable.reason }
        }
        return reasons
    }

    /// The command that runs `client` (building it first if it is compiled and not built yet),
    /// or why it cannot run here. `userCommand` is `--client-cmd`'s, run by /bin/sh.
    package static func command(for client: ClientProgram, userCommand: String? = nil) -> Result<[String], Unavailable> {
        guard executable(named: "strace") != nil else {
            return .failure(Unavailable(reason: "strace is not installed (apt-get install strace): it records a real client's calls"))
        }
        if client == .command {
            guard let userCommand, !userCommand.isEmpty else { return .failure(Unavailable(reason: "no --client-cmd was given")) }
            return .success(["/bin/sh", "-c", userCommand])
        }
        guard let file = sourceFile(client) else { return .failure(Unavailable(reason: "pipelab's own client runs in the worker")) }
        if let missing = tools(client).first(where: { executable(named: $0) == nil }) {
            return .failure(Unavailable(reason: "\(missing) is not installed, so the \(client.rawValue) client cannot run here"))
        }
        let source = sourceFolder + "/" + file
        guard let contents = FileManager.default.contents(atPath: source) else {
            return .failure(Unavailable(reason: "the \(client.rawValue) client's source \(source) cannot be read (set PIPELAB_CLIENTS to pipelab's Clients folder)"))
        }
        switch client {
        case .python: return .success([pythonInterpreter, source])
        case .node: return .success(["node", source])
        case .perl: return .success(["perl", source])
        case .c, .java, .go, .rust: return built(client, source: source, contents: contents)
        case .harness, .command: return .failure(Unavailable(reason: "pipelab's own client runs in the worker"))
        }
    }

    /// Builds into `<cache>/<name>-<hash of the source>` unless that is there; a build goes to a
    /// folder of its own first and is renamed into place, so workers building at once never see
    /// half a build.
    private static func built(_ client: ClientProgram, source: String, contents: Data) -> Result<[String], Unavailable> {
        let cacheFolder: String
        switch Self.cacheFolder {
        case .success(let found): cacheFolder = found
        case .failure(let unavailable): return .failure(unavailable)
        }
        let folder = cacheFolder + "/\(client.rawValue)-\(FNV1a.hex(contents))"
        let run: (String) -> [String] = { folder in
            client == .java ? ["java", "-cp", folder, "Client"] : [folder + "/client"]
        }
        if FileManager.default.fileExists(atPath: folder) { return .success(run(folder)) }
        let staging = folder + ".building-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            return .failure(Unavailable(reason: "cannot create \(staging) to build the \(client.rawValue) client: \(error.localizedDescription)"))
        }
        let output = staging + "/client"
        let (arguments, environment): ([String], [String: String]) = switch client {
        case .c: (["cc", "-O2", "-o", output, source], [:])
        case .java: (["javac", "-d", staging, source], [:])
        case .go: (["go", "build", "-o", output, source], ["GOCACHE": cacheFolder + "/go-build", "GOPATH": cacheFolder + "/go", "GO111MODULE": "off"])
        case .rust: (["rustc", "-O", "-o", output, source], [:])
        case .harness, .command, .python, .node, .perl: ([], [:])
        }
        let log = cacheFolder + "/build-\(client.rawValue)-\(getpid()).log"
        defer { unlink(log) }
        let termination: ProcessTermination
        do { termination = try ChildProcess.run(arguments, environment: environment, log: log) } catch {
            return .failure(Unavailable(reason: "building the \(client.rawValue) client: \(error)"))
        }
        guard termination == .exited(0) else {
            let said = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            try? FileManager.default.removeItem(atPath: staging)
            return .failure(Unavailable(reason: "the \(client.rawValue) client does not build here (\(arguments[0])): \(said)"))
        }
        // Another worker may have finished first: then its build is used and this one dropped.
        if rename(staging, folder) != 0 { try? FileManager.default.removeItem(atPath: staging) }
        return .success(run(folder))
    }

    /// The interpreter itself rather than what PATH finds: a version manager's shim (pyenv's is a
    /// shell script that starts several programs) would be traced too, and take seconds under strace.
    private static let pythonInterpreter: String = {
        // In a folder of our own: what the file says is run as the client.
        guard let folder = try? PrivateFolder.make(prefix: "pipelab-python", for: "finding python3's interpreter") else { return "python3" }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = folder + "/executable"
        guard (try? ChildProcess.run(["python3", "-c", "import sys; print(sys.executable)"], log: log)) == .exited(0),
              let said = try? String(contentsOfFile: log, encoding: .utf8),
              let path = said.split(separator: "\n").first.map(String.init), access(path, X_OK) == 0 else { return "python3" }
        return path
    }()

    /// $XDG_CACHE_HOME/pipelab/clients, else ~/.cache/pipelab/clients, else /tmp/pipelab-clients-UID
    /// when that is a folder of this user's that no one else may write (its clients are run as built).
    private static var cacheFolder: Result<String, Unavailable> {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return .success(cache + "/pipelab/clients") }
        if let home = environment["HOME"], home.hasPrefix("/") { return .success(home + "/.cache/pipelab/clients") }
        let shared = "/tmp/pipelab-clients-\(getuid())"
        guard PrivateFolder.claim(shared) else {
            return .failure(Unavailable(reason: "no cache folder to build clients in: \(shared) is not a folder of this user's "
                                        + "that only it may write, and neither HOME nor XDG_CACHE_HOME is set"))
        }
        return .success(shared)
    }

    /// The full path of an executable named `name` in PATH.
    package static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
