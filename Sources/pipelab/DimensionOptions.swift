import ArgumentParser
import PipeLabExperiment
import PipeLabKernel

/// The dimensions as options: one run's (`ScenarioOptions`) and a sweep's (`SweepDimensionOptions`).
/// A run's dimension defaults to its `pipelab run` default. argument-parser needs
/// one declared property per option; the declarations stay thin: help, default, completion and
/// parsing all come from the dimension table (Dimensions.all), and `given` pairs each property
/// with its table entry.
struct ScenarioOptions: ParsableArguments {
    @Option(help: help(Dimensions.transport), completion: Completions.value(Dimensions.transport)) var transport = text(Dimensions.transport)
    @Option(help: help(Dimensions.peer), completion: Completions.value(Dimensions.peer)) var peer = text(Dimensions.peer)
    @Option(help: help(Dimensions.sigpipe), completion: Completions.value(Dimensions.sigpipe)) var sigpipe = text(Dimensions.sigpipe)
    @Option(help: help(Dimensions.sleep)) var sleep = text(Dimensions.sleep)
    @Option(help: help(Dimensions.sends)) var sends = text(Dimensions.sends)
    @Option(help: help(Dimensions.payload)) var payload = text(Dimensions.payload)
    @Option(help: help(Dimensions.probe), completion: Completions.value(Dimensions.probe)) var probe = text(Dimensions.probe)
    @Option(help: help(Dimensions.interval)) var interval = text(Dimensions.interval)
    @Option(help: help(Dimensions.rtt)) var rtt = text(Dimensions.rtt)
    @Option(help: help(Dimensions.loss)) var loss = text(Dimensions.loss)
    @Option(help: help(Dimensions.client), completion: Completions.value(Dimensions.client)) var client = text(Dimensions.client)

    private var given: [String: String] {
        ["transport": transport, "peer": peer, "sigpipe": sigpipe, "sleep": sleep, "sends": sends, "payload": payload,
         "probe": probe, "interval": interval, "rtt": rtt, "loss": loss, "client": client]
    }

    private static func help(_ dimension: ScenarioDimension) -> ArgumentHelp { ArgumentHelp(dimension.runHelp) }
    private static func text(_ dimension: ScenarioDimension) -> String { dimension.format(dimension.runDefault) }

    /// The scenario, or the one-line complaint about the first bad value.
    func scenario() throws(InputError) -> Scenario {
        var scenario = Scenario.classic
        for dimension in Dimensions.all {
            guard let text = given[dimension.name] else { continue }
            dimension.set(try dimension.parse(text, label: dimension.flag), in: &scenario)
        }
        if let (rule, reason) = scenario.impossibility {
            // The combination as flags: the dimensions the rule looks at.
            let flags = rule.dimensions.map { "\($0.flag) \($0.format($0.value(of: scenario)))" }.joined(separator: " ")
            throw InputError("\(flags) cannot be run: \(reason)")
        }
        return scenario
    }
}

/// The dimensions of a sweep, each a comma-separated list. As for `ScenarioOptions`, help,
/// completion and parsing come from the dimension table; `given` pairs each property with its entry.
struct SweepDimensionOptions: ParsableArguments {
    @Option(help: help(Dimensions.transport), completion: Completions.list(Dimensions.transport)) var transport: String?
    @Option(help: help(Dimensions.peer), completion: Completions.list(Dimensions.peer)) var peer: String?
    @Option(help: help(Dimensions.sigpipe), completion: Completions.list(Dimensions.sigpipe)) var sigpipe: String?
    @Option(help: help(Dimensions.sleep)) var sleep: String?
    @Option(help: help(Dimensions.sends)) var sends: String?
    @Option(help: help(Dimensions.payload)) var payload: String?
    @Option(help: help(Dimensions.probe), completion: Completions.list(Dimensions.probe)) var probe: String?
    @Option(help: help(Dimensions.interval)) var interval: String?
    @Option(help: help(Dimensions.rtt)) var rtt: String?
    @Option(help: help(Dimensions.loss)) var loss: String?
    @Option(help: help(Dimensions.client), completion: Completions.list(Dimensions.client)) var client: String?

    /// The dimensions given on the command line, in the table's order, with their text.
    var given: [(ScenarioDimension, String)] {
        let byName = ["transport": transport, "peer": peer, "sigpipe": sigpipe, "sleep": sleep, "sends": sends, "payload": payload,
                      "probe": probe, "interval": interval, "rtt": rtt, "loss": loss, "client": client]
        return Dimensions.all.compactMap { dimension in byName[dimension.name].flatMap { $0 }.map { (dimension, $0) } }
    }

    private static func help(_ dimension: ScenarioDimension) -> ArgumentHelp { ArgumentHelp(dimension.sweepHelp) }
}
