import ArgumentParser
import PipeLabExperiment
import PipeLabWorker

/// `--client-cmd`: the user's own program as the client (the `client` dimension's value `command`).
/// `--client` itself is a dimension of the table (DimensionOptions).
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("client-cmd"),
            help: "Your own client program, run by /bin/sh -c with the peer's address in PIPELAB_HOST and PIPELAB_PORT (Clients/README.md lists the rest); implies --client command.")
    var clientCommand: String?

    /// One run's client: sets it (`--client-cmd` with no other client asks for `command`) and
    /// returns the user's command for the worker. A real program whose runtime is not installed is
    /// refused up front, with the reason.
    func apply(to scenario: inout Scenario) throws(InputError) -> String? {
        if let clientCommand {
            guard !clientCommand.isEmpty else { throw InputError("--client-cmd: an empty command; accepted: --client-cmd 'COMMAND'") }
            if scenario.client == .harness { scenario.client = .command }
            guard scenario.client == .command else {
                throw InputError("--client-cmd runs your own program as the client, and --client \(scenario.client.rawValue) asks for another; accepted: --client-cmd alone, or with --client command")
            }
        } else if scenario.client == .command {
            throw InputError("--client command runs your own program; accepted: --client-cmd 'COMMAND' with it")
        }
        if let (rule, reason) = scenario.impossibility {
            let flags = rule.dimensions.map { "\($0.flag) \($0.format($0.value(of: scenario)))" }.joined(separator: " ")
            throw InputError("\(flags) cannot be run: \(reason)")
        }
        if scenario.client.isReal, case .failure(let unavailable) = ClientPrograms.command(for: scenario.client, userCommand: clientCommand) {
            throw InputError("--client \(scenario.client.rawValue): \(unavailable.reason)")
        }
        return clientCommand
    }
}
