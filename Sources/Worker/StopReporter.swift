import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// Sends what a run captured when the recorder stops the run at its timeout (DESIGN.md: a run that
/// hangs is recorded as `timeout`, with what it recorded until then). The steps are in the shared
/// step log already; the packets are in this worker's capture ring and its link, which die with it.
/// So before killing a worker the recorder sends it `stopSignal`; this thread, the only one that
/// takes the signal (every thread of the worker blocks it), drains the run's packets and sends
/// them with `runStopped`, wherever the run's own threads are stuck.
package final class StopReporter: @unchecked Sendable {
    /// What the recorder sends to ask for a stopped run's packets.
    package static let stopSignal = SIGUSR1

    /// The run in progress, as far as its packets go.
    private struct Armed {
        var token: Int64
        var capture: Capture?
        var link: Link?
        var clientFD: Int32 = -1
        var peerPort: UInt16?
    }

    private let channel: Channel
    private var mutex = pthread_mutex_t()
    private var armed: Armed?

    /// Blocks `stopSignal` in the calling thread, so every thread started after it inherits the
    /// mask and only `sigwait` takes the signal: call it before any thread starts.
    package static func blockStopSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, stopSignal)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    package init(channel: Channel) throws(SystemError) {
        self.channel = channel
        pthread_mutex_init(&mutex, nil)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<StopReporter>.fromOpaque(context!).takeUnretainedValue().loop()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<StopReporter>.fromOpaque(context).release()
            throw SystemError("starting the stop reporter thread", errno: status)
        }
        pthread_detach(thread)
    }

    /// A run begins: its capture (nil without one) and link.
    package func arm(token: Int64, capture: Capture?, link: Link?) {
        locked { armed = Armed(token: token, capture: capture, link: link) }
    }

    /// The run's client socket and the peer's port, once known: the capture keeps only their packets.
    package func note(clientFD: Int32, peerPort: UInt16?) {
        locked {
            armed?.clientFD = clientFD
            armed?.peerPort = peerPort
        }
    }

    /// The run ended on its own; false when a stop took it first (its packets are sent).
    package func disarm() -> Bool {
        locked {
            defer { armed = nil }
            return armed != nil
        }
    }

    /// The packets of a run, as messages: what the capture kept of the connection between the
    /// two ports, with what the link dropped.
    package static func packets(token: Int64, capture: Capture, link: Link?, clientPort: UInt16, peerPort: UInt16) -> [WireMessage] {
        let lost = link?.takeDropped() ?? []
        return capture.drain(clientPort: clientPort, peerPort: peerPort, lost: lost).map { .packet(token: token, $0) }
    }

    private func loop() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, Self.stopSignal)
        while true {
            var signal: Int32 = 0
            guard sigwait(&set, &signal) == 0 else { continue }
            let taken: Armed? = locked {
                defer { armed = nil }
                return armed
            }
            guard let run = taken else { continue }
            var messages: [WireMessage] = []
            // The client's port is bound from its connect() on, even while the connect hangs.
            if let capture = run.capture, let peerPort = run.peerPort, run.clientFD >= 0,
               let clientPort = Sockets.port(of: run.clientFD, peer: false) {
                messages = Self.packets(token: run.token, capture: capture, link: run.link, clientPort: clientPort, peerPort: peerPort)
            }
            channel.send(messages + [.runStopped(token: run.token)])
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
