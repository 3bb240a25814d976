import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabReport
import PipeLabStore
import PipeLabWorker

/// The ten scenario parameters of one run, with DESIGN.md's defaults (the classic case).
struct ScenarioOptions: ParsableArguments {
    @Option(help: "tcp4, tcp6, unix or pipe.", completion: Completions.value(Transport.self))
    var transport = "tcp4"
    @Option(help: "How the peer ends: close, shutdown-wr, shutdown-rdwr, linger0, close-unread.", completion: Completions.value(PeerAction.self))
    var peer = "close"
    @Option(help: "SIGPIPE disposition: default, ignore, handler, nosignal, blocked.", completion: Completions.value(SigpipeMode.self))
    var sigpipe = "ignore"
    @Option(help: "Pause after the first send: 0, or a number with ns, us, ms, s (e.g. 250us, 1s), up to 1 day.")
    var sleep = "1s"
    @Option(help: "Total number of sends (1 to 10000).")
    var sends = "3"
    @Option(help: "Bytes per send: a number, optionally with B, KiB, MiB (e.g. 5, 64KiB), up to 1GiB.")
    var payload = "5"
    @Option(help: "One extra call after the sleep, before send #2: none, recv, poll, so-error, shutdown-wr.")
    var probe = "none"
    @Option(help: "Pause between the client's later sends (#2, #3, …): 0, or a duration (e.g. 5ms).")
    var interval = "0"
    @Option(help: "Round-trip time of an emulated link between client and peer (TCP only): 0 = plain loopback, up to 10s (e.g. 20ms).")
    var rtt = "0"
    @Option(help: "Per-packet loss on that link, each direction, in percent (e.g. 1%, 0.5%); TCP only.")
    var loss = "0"

    /// The scenario, or the one-line complaint about the first bad value.
    func scenario() throws(InputError) -> Scenario {
        let scenario = Scenario(
            transport: try Transport.parse(transport, name: "--transport"),
            peer: try PeerAction.parse(peer, name: "--peer"),
            sigpipe: try SigpipeMode.parse(sigpipe, name: "--sigpipe"),
            sleepNs: try DurationText.parse(sleep, name: "--sleep"),
            sends: try CountText.parse(sends, name: "--sends", maximum: Limits.sends),
            payloadBytes: try SizeText.parse(payload, name: "--payload"),
            probe: try Probe.parse(probe, name: "--probe"),
            intervalNs: try DurationText.parse(interval, name: "--interval"),
            rttNs: try RttText.parse(rtt, name: "--rtt"),
            lossBasisPoints: try LossText.parse(loss, name: "--loss"))
        if let reason = scenario.inapplicableReason {
            let probe = scenario.probe == .none ? "" : " --probe \(scenario.probe.rawValue)"
            let link = scenario.hasLink ? " --rtt \(rtt) --loss \(loss)" : ""
            throw InputError("--transport \(scenario.transport.rawValue) with --peer \(scenario.peer.rawValue) --sigpipe \(scenario.sigpipe.rawValue)\(probe)\(link) cannot be run: \(reason)")
        }
        return scenario
    }
}
