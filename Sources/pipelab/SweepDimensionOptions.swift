import ArgumentParser
import PipeLabExperiment
import PipeLabKernel

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

    /// The dimensions given on the command line, in the table's order, with their text.
    var given: [(Dimension, String)] {
        let byName = ["transport": transport, "peer": peer, "sigpipe": sigpipe, "sleep": sleep, "sends": sends, "payload": payload,
                      "probe": probe, "interval": interval, "rtt": rtt, "loss": loss]
        return Dimensions.all.compactMap { dimension in byName[dimension.name].flatMap { $0 }.map { (dimension, $0) } }
    }

    private static func help(_ dimension: Dimension) -> ArgumentHelp { ArgumentHelp(dimension.sweepHelp) }
}
