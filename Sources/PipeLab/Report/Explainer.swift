/// Plain-language explanations of signatures: what the kernel did, call by call. It covers every
/// token of the signature grammar, so any signature the engine can record gets an explanation.
public enum Explainer {
    /// Paragraphs explaining `signature` for runs of `scenario` (the sleep and sends may vary).
    /// `clientStates` are the client's TCP states after each send, when recorded.
    public static func explain(signature: String, scenario: Scenario, clientStates: [String?] = []) -> [String] {
        guard let tokens = Signature.parse(signature) else {
            return ["`\(signature)` is not a signature pipelab writes; it may come from a newer version."]
        }
        if tokens == [.harnessError] {
            return ["pipelab could not set this run up (for example no IPv6 loopback address on the machine); nothing was measured. The run's steps and the database's `runs` row say which call failed."]
        }
        var paragraphs = [peerEffect(scenario)]
        var sawError = false
        for (index, token) in tokens.enumerated() {
            let number = index + 1
            let state = index < clientStates.count ? clientStates[index].map { " (afterwards the socket was \($0))" } ?? "" : ""
            paragraphs.append(sentence(for: token, number: number, isFirst: index == 0, sawError: sawError,
                                       scenario: scenario, state: state))
            if case .errno = token { sawError = true }
        }
        return paragraphs
    }

    /// What the peer's way of ending does to the connection, per transport.
    static func peerEffect(_ s: Scenario) -> String {
        switch (s.transport, s.peer) {
        case (.pipe, _):
            return "The peer is the pipe's reader. Once the last read end is closed, the kernel knows at once that nobody can read: every later write(2) fails with EPIPE and raises SIGPIPE."
        case (.unix, .close), (.unix, .linger0):
            let linger = s.peer == .linger0 ? " (SO_LINGER means nothing to a Unix socket)" : ""
            return "A Unix stream socket has no FIN or RST: both ends live in the same kernel, so once the peer has closed its end\(linger) the very next write fails with EPIPE, and raises SIGPIPE unless MSG_NOSIGNAL is given."
        case (.unix, .closeUnread):
            return "A Unix stream socket has no FIN or RST. The peer closed with data still unread, which marks our end with ECONNRESET for a later read; a write still fails with EPIPE, because nobody is left to receive."
        case (.unix, .shutdownWrite):
            return "The peer's shutdown(SHUT_WR) only ends its own direction: it still receives, so our writes keep succeeding."
        case (.unix, .shutdownReadWrite):
            return "The peer's shutdown(SHUT_RDWR) ends its receiving direction too; the kernel refuses our writes at once with EPIPE."
        case (_, .close):
            return "The peer read what had arrived and called close(): its kernel sent FIN and our socket moved to CLOSE_WAIT. TCP cannot tell a close from a half-close, so the next write is still accepted; its data reaches a socket that no longer exists, and the peer's kernel answers with RST."
        case (_, .closeUnread):
            return "The peer called close() with data it had not read still in its receive queue, so its kernel sent RST instead of FIN (RFC 2525 §2.17). The RST found our socket ESTABLISHED, so tcp_reset() stored ECONNRESET for the next call and moved the socket to CLOSE."
        case (_, .linger0):
            return "The peer set SO_LINGER {on, 0} and closed: an abortive close that sends RST instead of FIN. The RST found our socket ESTABLISHED, so tcp_reset() stored ECONNRESET for the next call and moved the socket to CLOSE."
        case (_, .shutdownWrite):
            return "The peer's shutdown(SHUT_WR) sent FIN but kept its socket open and still receiving: our socket went to CLOSE_WAIT, and writes keep succeeding because somebody still takes the data."
        case (_, .shutdownReadWrite):
            return "The peer's shutdown(SHUT_RDWR) sent FIN and stopped receiving, yet its socket stays open: data that arrives afterwards is answered with RST, which sets an error on our socket for the next call."
        }
    }

    static func sentence(for token: Signature.Token, number: Int, isFirst: Bool, sawError: Bool,
                         scenario s: Scenario, state: String) -> String {
        let call = s.transport.isSocket ? "send" : "write"
        switch token {
        case .ok(let sigpipe):
            if isFirst {
                return "\(call) #\(number) went into a healthy connection\(state)." + raised(sigpipe, s)
            }
            if number >= firstSendThatCanFail(s) {
                return "\(call) #\(number) succeeded\(state) although a settled connection would refuse it here: the peer had not yet ended the connection (or its RST had not yet come back) when this call ran. With little or no sleep the client's sends race the peer's read and close, and here the client won." + raised(sigpipe, s)
            }
            let queued = s.transport.isTCP
                ? " Success only means the kernel queued the bytes, not that anyone will read them."
                : ""
            // The state is read after the call: on loopback the RST the data provokes is usually
            // processed before the call returns, so the socket is CLOSE already.
            let resetAlready = state.hasSuffix(" CLOSE)")
                ? " The RST it provoked came back before the call returned (loopback delivers it at once), which is why the socket was already CLOSE."
                : ""
            return "\(call) #\(number) succeeded\(state).\(queued)\(resetAlready)" + raised(sigpipe, s)
        case .short(let bytes, let sigpipe):
            return "\(call) #\(number) wrote only \(bytes) of its \(s.payloadBytes) bytes\(state): a blocking call that has queued part of its data when the connection breaks returns that count instead of the error, and the error waits for the next call." + raised(sigpipe, s)
        case .errno(let name, let sigpipe):
            return "\(call) #\(number) failed with \(name)\(state): " + errnoCause(name, scenario: s, sawError: sawError)
                + signalStory(errno: name, sigpipe: sigpipe, s)
        case .killed(let signal):
            if signal == "SIGPIPE" {
                return "\(call) #\(number) raised SIGPIPE, whose default action ends the process: the process that sent was killed inside the call, exactly as a C program dies of a broken pipe (a shell shows exit status 141 = 128 + 13). The call never returned, so no errno was seen."
            }
            return "The process that sent was killed by \(signal) during \(call) #\(number); the calls before it are all it made."
        case .timeout:
            return "The run did not finish within its timeout and was stopped: most often a blocking \(call) waiting for buffer space that a peer which no longer reads will never free."
        case .harnessError:
            return "pipelab could not carry out this run."
        }
    }

    static func errnoCause(_ name: String, scenario s: Scenario, sawError: Bool) -> String {
        switch name {
        case "EPIPE" where s.transport.isTCP && s.peer == .close && !sawError:
            return "the RST provoked by the previous write arrived while the socket was in CLOSE_WAIT, so tcp_reset() stored EPIPE, and this call reported it (sk_stream_error())."
        case "EPIPE" where s.transport.isTCP && sawError:
            return "after the RST the socket is closed and can no longer send, so every later write fails with EPIPE."
        case "EPIPE" where s.transport.isTCP && s.peer == .shutdownWrite:
            return "the connection can no longer carry data in our direction, so the kernel refuses the write."
        case "EPIPE" where s.transport.isTCP:
            return "the socket can no longer send: the RST closed it, or its stored error had already been reported."
        case "EPIPE":
            return "nobody is left to read, which the kernel knows at once on a \(s.transport == .pipe ? "pipe" : "Unix socket")."
        case "ECONNRESET":
            let why = s.peer == .close || s.peer == .shutdownReadWrite
                ? " Here our sends outran the peer's single read, so it ended the connection with data still unread, and its kernel answered with RST instead of FIN."
                : ""
            return "the peer's RST arrived while the connection was ESTABLISHED, so tcp_reset() stored ECONNRESET; this call reported it once and cleared it. A call that reads the error first (recv, SO_ERROR) would have consumed it instead." + why
        case "ECONNREFUSED":
            return "an RST arrived while the socket was still connecting (SYN_SENT)."
        case "EAGAIN":
            return "the socket buffer was full and the call would have blocked."
        case "EINTR":
            return "a signal interrupted the call before it could transfer anything."
        default:
            let code = ErrnoName.code(of: name).map { " (\(strerrorText($0)))" } ?? ""
            return "the kernel rejected the call\(code)."
        }
    }

    /// What happened to SIGPIPE on a failing call, given the disposition.
    static func signalStory(errno name: String, sigpipe: Bool, _ s: Scenario) -> String {
        if sigpipe {
            return s.sigpipe == .blocked
                ? " The kernel also raised SIGPIPE; with the signal blocked it stayed pending while the call returned the error."
                : " The kernel also raised SIGPIPE; the installed handler caught it, and the call returned the error."
        }
        guard name == "EPIPE" else {
            return name == "ECONNRESET" ? " ECONNRESET comes without SIGPIPE." : ""
        }
        switch s.sigpipe {
        case .ignore: return " SIGPIPE was raised too but ignored (SIG_IGN, as Python sets it at start-up), which leaves only the errno: Python's BrokenPipeError."
        case .nosignal: return " MSG_NOSIGNAL kept the kernel from raising SIGPIPE."
        case .default, .handler, .blocked: return ""
        }
    }

    /// The first send that fails once the peer's ending has fully taken effect: on TCP a close or
    /// SHUT_RDWR lets one more write through (it provokes the RST); an RST, a Unix socket and a
    /// pipe refuse the first write after the peer's ending; a half-close never refuses.
    static func firstSendThatCanFail(_ s: Scenario) -> Int {
        switch (s.transport.isTCP, s.peer) {
        case (_, .shutdownWrite): return Int.max
        case (true, .close), (true, .shutdownReadWrite): return 3
        default: return 2
        }
    }

    static func raised(_ sigpipe: Bool, _ s: Scenario) -> String {
        sigpipe ? " SIGPIPE was raised during it nonetheless." : ""
    }
}
