import PipeLabStore
import PipeLabExperiment
import PipeLabKernel

/// The sentence on the client's probe (DESIGN.md `probe`): what the call returned or consumed, and
/// what that leaves for the next send. Said only from what the probe step recorded; the kernel
/// functions named are Linux's (net/ipv4/tcp.c, net/core/sock.c, net/unix/af_unix.c, fs/pipe.c).
package enum ProbeExplainer {
    package static func sentence(_ run: RunResult, detail: Explainer.Detail = .run) -> String? {
        guard let step = run.probeStep, let result = run.probeResult else { return nil }
        let transport = run.scenario.transport
        let state = detail == .run ? step.tcpState.map { " (afterwards the socket was \($0.name))" } ?? "" : ""
        switch run.scenario.probe {
        case .none:
            return nil
        case .recv:
            return "The probe, a non-blocking recv, returned \(result)\(state): " + recv(result, transport, peer: run.scenario.peer)
        case .soError:
            return "The probe, getsockopt(SO_ERROR), returned \(result)\(state): " + soError(result, transport)
        case .poll:
            return "The probe, poll with timeout 0, reported \(result)\(state): " + poll(result, transport)
        case .shutdownWrite:
            let writes = run.clientWrites
            let storedLater = writes.indices.first { writes[$0].startNs > step.startNs && writes[$0].errno != 0 && ErrnoName.of(writes[$0].errno) != "EPIPE" }
                .map { "send #\($0 + 1)'s \(ErrnoName.of(writes[$0].errno))" }
            return "The probe, the client's own shutdown(SHUT_WR), returned \(result)\(state): " + shutdown(result, transport, storedLater: storedLater)
        }
    }

    package static func recv(_ result: String, _ transport: Transport, peer: PeerAction) -> String {
        let reader = transport == .unix ? "unix_stream_recvmsg()" : "tcp_recvmsg()"
        switch result {
        case "0":
            // unix_stream_recvmsg() returns 0 once our socket is marked RCV_SHUTDOWN: by the peer's
            // close (unix_release_sock()) or by its shutdown of its sending side (unix_shutdown()).
            let marked = peer == .shutdownWrite || peer == .shutdownReadWrite
                ? "the peer's shutdown ended its sending direction, which unix_shutdown() passes on by marking our socket shut down for receiving (its own socket stays open)"
                : "the peer's close marked our socket shut down for receiving (unix_release_sock())"
            return transport == .unix
                ? "end of file: \(marked), and nothing was queued; unix_stream_recvmsg() found no stored error to report, and reading changes nothing for the next write."
                : "end of file: the peer's FIN had arrived and nothing was left to read; tcp_recvmsg() reports a FIN as 0 and leaves the socket's state as it was, so the sends go on as without a probe."
        case "EAGAIN":
            return "nothing had arrived and no error was stored, so the non-blocking call returned at once without touching the socket."
        case "ECONNRESET", "EPIPE", "ECONNREFUSED":
            let next = transport == .unix
                ? "The next write still fails with EPIPE, since the peer is gone."
                : "The error is gone now: the next send finds the socket closed with nothing stored and fails with EPIPE (tcp_sendmsg()), and sk_stream_error() raises SIGPIPE with it unless MSG_NOSIGNAL is given."
            let stored = transport == .unix ? "unix_release_sock() stored when the peer closed with data unread" : "the peer's RST had stored (tcp_reset())"
            return "\(reader) found the error \(stored) and reported it, clearing it (sock_error() reads and clears sk_err). " + next
        default:
            return "it read bytes the peer had sent; that changes nothing for the next send."
        }
    }

    package static func soError(_ result: String, _ transport: Transport) -> String {
        if result == "0" {
            return "no error was stored, so there was nothing to take; the sends go on as without a probe."
        }
        let next = transport == .unix
            ? "The next write fails with EPIPE as it would have anyway: unix_stream_sendmsg() checks the shutdown before any stored error."
            : "The next send finds the socket closed with nothing stored and fails with EPIPE (tcp_sendmsg()), and sk_stream_error() raises SIGPIPE with it unless MSG_NOSIGNAL is given."
        return "sock_getsockopt() returned the error stored on the socket and cleared it (sock_error() reads and clears sk_err). " + next
    }

    package static func poll(_ result: String, _ transport: Transport) -> String {
        let bits = ProbeResult.revents(result)
        var parts: [String] = []
        switch transport {
        case .tcp4, .tcp6:
            if bits.contains("POLLHUP") { parts.append("POLLHUP because the socket is shut down in both directions or closed (tcp_poll(): sk_shutdown == SHUTDOWN_MASK or TCP_CLOSE)") }
            if bits.contains("POLLRDHUP") { parts.append("POLLIN and POLLRDHUP because the receiving side is shut down (a FIN arrived, or an RST closed the socket)") }
            if bits.contains("POLLERR") { parts.append("POLLERR because an error is stored (sk_err)") }
            if bits.contains("POLLOUT") { parts.append("POLLOUT because a write would not block: there is room, or it will fail at once") }
        case .unix:
            if bits.contains("POLLHUP") { parts.append("POLLHUP because both directions are shut down (unix_poll())") }
            if bits.contains("POLLRDHUP") { parts.append("POLLIN and POLLRDHUP because the peer will send nothing more") }
            if bits.contains("POLLERR") { parts.append("POLLERR because an error is stored") }
            if bits.contains("POLLOUT") { parts.append("POLLOUT because our send buffer has room (unix_poll() looks only at that, not at whether the peer is gone)") }
        case .pipe:
            if bits.contains("POLLERR") { parts.append("POLLERR because no reader is left (pipe_poll())") }
            if bits.contains("POLLOUT") { parts.append("POLLOUT because the pipe has room") }
        }
        let why = parts.isEmpty ? "nothing to report." : parts.joined(separator: "; ") + "."
        return why + " poll only looks: it clears nothing, so the sends go on as without a probe."
    }

    /// `storedLater`: a later send that failed with an errno other than EPIPE ("send #3's ECONNRESET").
    package static func shutdown(_ result: String, _ transport: Transport, storedLater: String? = nil) -> String {
        switch (result, transport) {
        case ("0", .unix):
            return "our socket is now shut down for sending, so unix_stream_sendmsg() refuses every later write with EPIPE, raising SIGPIPE unless MSG_NOSIGNAL is given."
        case ("0", _):
            guard let storedLater else {
                return "inet_shutdown() marked the socket shut down for sending and tcp_shutdown() sent our FIN, so tcp_sendmsg() refuses every later send with EPIPE, raising SIGPIPE unless MSG_NOSIGNAL is given."
            }
            return "inet_shutdown() marked the socket shut down for sending and tcp_shutdown() sent our FIN, so tcp_sendmsg() refuses every later send: with EPIPE, except where an error was stored meanwhile, which is reported first (sk_stream_error() takes sock_error() before EPIPE): here \(storedLater)."
        case ("ENOTCONN", _):
            return "the socket was no longer connected (the peer's RST had already closed it), so inet_shutdown() returned ENOTCONN; it does not touch the error the RST stored, which is still there for the next send to report."
        default:
            return "the kernel refused the shutdown."
        }
    }
}
