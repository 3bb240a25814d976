import ArgumentParser
import PipeLabExperiment
import PipeLabWorker

/// Who makes the client's calls: `--client` (pipelab's own, or a shipped program per runtime) and
/// `--client-cmd` (the user's own program).
struct ClientOptions: ParsableArguments {
    @Option(help: "Who makes the client's calls: harness (pipelab's own), c, python, node, perl, java, go, rust, or command (--client-cmd). Real programs run under strace; see Clients/README.md.",
            completion: .list(ClientProgram.allCases.map(\.rawValue)))
    var client: String?

    @Option(name: .customLong("client-cmd"),
            help: "Your own client program, run by /bin/sh -c with the peer's address in PIPELAB_HOST and PIPELAB_PORT (Clients/README.md lists the rest).")
    var clientCommand: String?

    /// Sets the scenario's client; returns the user's command for the workers. A real program
    /// whose runtime is not installed is refused up front, with the reason.
    func apply(to scenario: inout Scenario) throws(InputError) -> String? {
        let chosen: ClientProgram
        if let client {
            guard let parsed = ClientProgram(rawValue: client) else {
                throw InputError("--client: '\(client)' is not a client; accepted: \(ClientProgram.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            chosen = parsed
        } else {
            chosen = clientCommand == nil ? .harness : .command
        }
        if chosen == .command && (clientCommand ?? "").isEmpty {
            throw InputError("--client command runs your own program; accepted: --client-cmd 'COMMAND' with it")
        }
        if chosen != .command && clientCommand != nil {
            throw InputError("--client-cmd runs your own program as the client, and --client \(chosen.rawValue) asks for another; accepted: --client-cmd alone, or with --client command")
        }
        scenario.client = chosen
        if let reason = scenario.inapplicableReason {
            throw InputError("--client \(chosen.rawValue) with --transport \(scenario.transport.rawValue) --sigpipe \(scenario.sigpipe.rawValue) --probe \(scenario.probe.rawValue) cannot be run: \(reason)")
        }
        if chosen.isReal, case .failure(let unavailable) = ClientPrograms.command(for: chosen, userCommand: clientCommand) {
            throw InputError("--client \(chosen.rawValue): \(unavailable.reason)")
        }
        return clientCommand
    }
}
