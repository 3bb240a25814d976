import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabStore

/// Plain-language explanations of one run, derived from what the run recorded (RunEvidence): what
/// the peer read and whether it left data unread, when it ended the connection, each call's result,
/// errno, SIGPIPE and TCP state. A sentence is said only when the run holds evidence for it; the
/// kernel functions named are the ones that do what the sentence says (Linux: net/ipv4/tcp.c,
/// tcp_input.c, net/core/stream.c, net/core/sock.c, net/unix/af_unix.c, fs/pipe.c).
/// Byte counts of the payload stay out of the text, so runs of one mechanism read the same.
public enum Explainer {
    /// How much of a run to tell.
    public enum Detail: Sendable {
        /// Everything the run recorded: states after each call, what happened to SIGPIPE.
        case run
        /// Only what makes the mechanism, so that a report can name one explanation for the many
        /// cells it covers: no states, no byte counts, no SIGPIPE disposition (the report says once
        /// what each does with the EPIPE's signal, so a call killed by SIGPIPE and one that returned
        /// EPIPE read alike), no read detail where it changes nothing, and a race where every send
        /// came first in one line.
        case mechanism
    }

    /// One paragraph on how the peer ended the connection, then one per send (and the ending).
    public static func explain(_ run: RunResult, detail: Detail = .run) -> [String] {
        if run.outcome == .harnessError {
            return ["pipelab could not set this run up (for example no IPv6 loopback address on the machine); nothing was measured. The run's steps and the database's `runs` row say which call failed."]
        }
        let evidence = Told(RunEvidence(run), detail: detail, ownShutdown: run.scenario.probe == .shutdownWrite && run.probeResult == "0")
        if detail == .mechanism, let lines = allSendsFirst(evidence) ?? noSendFailed(evidence).map({ [$0] }) { return lines }
        var paragraphs = [peerParagraph(evidence)]
        paragraphs += DisturbanceExplainer.sentences(evidence.evidence, machine: detail == .run)
        var reported = false
        let probe = ProbeExplainer.sentence(run, detail: detail)
        for (index, write) in evidence.writes.enumerated() {
            if index == 1, let probe { paragraphs.append(probe) }
            if let text = callSentence(write, number: index + 1, evidence: evidence, errorReported: reported) {
                paragraphs.append(text)
            }
            if write.errno != 0 { reported = true }
        }
        if evidence.writes.count < 2, let probe { paragraphs.append(probe) }
        if detail == .mechanism, evidence.termSignal == SIGPIPE, let fatal = evidence.fatalSend {
            paragraphs.append(meetsEPIPE(number: fatal, evidence: evidence, errorReported: reported))
        } else if let ending = endingSentence(evidence) {
            paragraphs.append(ending)
        }
        return paragraphs
    }

    // MARK: The peer

    package static func peerParagraph(_ e: Told) -> String {
        guard e.peerEnd != nil else {
            return "The peer had not begun to end the connection when the run ended."
        }
        let read = readClause(e)
        switch e.scenario.transport {
        case .pipe:
            return "The peer is the pipe's reader. It \(read); then it closed its read end. With no reader left, pipe_write() (fs/pipe.c) fails every later write with EPIPE and raises SIGPIPE."
        case .unix:
            return unixPeer(e, read: read)
        case .tcp4, .tcp6:
            return tcpPeer(e, read: read)
        }
    }

    package static func readClause(_ e: Told) -> String {
        // Whether data was left unread changes nothing for these: say only that the peer read.
        let unreadMatters = e.scenario.peer == .close && e.scenario.transport != .pipe
            || e.scenario.transport == .unix && e.scenario.peer == .linger0
        if e.detail == .mechanism && !unreadMatters && e.scenario.peer != .closeUnread {
            return "read once"
        }
        if e.scenario.peer == .closeUnread {
            return e.peerLeftUnread == true ? "waited until data had arrived and read none of it" : "read nothing"
        }
        guard e.peerReadBytes != nil else { return "did not get to read" }
        switch e.peerLeftUnread {
        case true?: return "read once and left data unread (its single read takes at most 1024 bytes; FIONREAD found more waiting)"
        case false?: return "read everything that had arrived in its single read (FIONREAD found nothing waiting)"
        case nil: return e.peerUnreadBytes == nil ? "read once" : "read once while more of our data was still on its way"
        }
    }

    package static func unixPeer(_ e: Told, read: String) -> String {
        let unreadNote = e.peerLeftUnread == true
            ? " Since data was left unread, unix_release_sock() also set ECONNRESET on our socket: a read or SO_ERROR would report it, but unix_stream_sendmsg() checks the shutdown before any stored error and fails with EPIPE."
            : ""
        switch e.scenario.peer {
        case .close, .closeUnread, .linger0:
            let linger = e.scenario.peer == .linger0 ? " (SO_LINGER changes nothing on a Unix socket)" : ""
            return "A Unix stream socket has no FIN or RST: both ends live in one kernel. The peer \(read); then it closed its end\(linger); unix_release_sock() marked our socket as shut down in both directions, so unix_stream_sendmsg() refuses the next write with EPIPE.\(unreadNote)"
        case .shutdownWrite:
            return "The peer \(read); then it called shutdown(SHUT_WR): that ends only its own direction. It never reads again, so our data queues, unread, until the buffers are full; then a blocking send waits for space that never comes."
        case .shutdownReadWrite:
            return "The peer \(read); then it called shutdown(SHUT_RDWR): that ends its receiving direction too, which unix_shutdown() passes on by marking our socket shut down for sending, so unix_stream_sendmsg() refuses the next write with EPIPE."
        }
    }

    package static func tcpPeer(_ e: Told, read: String) -> String {
        switch e.scenario.peer {
        case .close:
            // Where FIONREAD could not tell, the packets can (leftUnread).
            switch e.leftUnread {
            case true?:
                return "The peer \(read); then it called close() with data unread: its kernel sent RST instead of FIN (tcp_close(); RFC 2525 §2.17). " + LinkFates.rst(e)
            case false?:
                let answered = LinkFates.peerSentRST(e.evidence)
                    ? "; its data reaches a socket its process has closed, which takes no more data, and the peer's kernel answers with RST"
                    : LinkFates.noRST(e.evidence)
                let later = e.writes.indices.contains { e.peerEndedBefore(send: $0 + 1) == true }
                    ? " TCP cannot tell a close from a half-close, so the next write is still accepted\(answered)."
                    : " No send of ours came after the close, so nothing provoked an RST."
                return "The peer \(read); then it called close(): with nothing unread its kernel sent FIN\(LinkFates.fin(e))." + later
            case nil:
                // Only a failing send can show which; with every send whole the run cannot tell.
                let shows = e.writes.contains { $0.errno != 0 } ? "The errors below show which." : "No send failed, so the run does not show which."
                return "The peer \(read); then it called close(). If nothing was left unread its kernel sent FIN (our socket then goes to CLOSE_WAIT, and the next write provokes an RST); if data was left unread it sent RST at once. " + shows
            }
        case .closeUnread:
            return "The peer \(read); then it called close() with it still in its receive queue, so its kernel sent RST instead of FIN (tcp_close(); RFC 2525 §2.17). " + LinkFates.rst(e)
        case .linger0:
            return "The peer \(read); then it set SO_LINGER {on, 0} and closed: an abortive close, which sends RST instead of FIN whatever was read (tcp_close() sends it itself when data was unread, and otherwise through tcp_disconnect()). " + LinkFates.rst(e)
        case .shutdownWrite:
            return "The peer \(read); then it called shutdown(SHUT_WR): it sent FIN\(LinkFates.fin(e)), but the peer's socket stays open and it never reads again. Our writes are queued, first in its receive buffer and then in our send buffer, until both are full; then a blocking send waits."
        case .shutdownReadWrite:
            // tcp_shutdown() sends FIN whatever is unread: only close() turns unread data into RST.
            let unread = e.peerLeftUnread == true ? " (a shutdown sends FIN even with data unread: only close() sends RST for that)" : ""
            return "The peer \(read); then it called shutdown(SHUT_RDWR): it sent FIN\(unread)\(LinkFates.fin(e)), and it stopped receiving, but its socket stays open. Data of ours that arrives afterwards is answered with RST (tcp_rcv_state_process(): data after the receiving side was shut down)."
        }
    }

    // MARK: The client's calls

    package static func callSentence(_ write: Step, number: Int, evidence e: Told, errorReported: Bool) -> String? {
        let s = e.scenario
        let call = s.transport.isSocket ? "send" : "write"
        let state = e.detail == .run ? write.tcpState.map { " (afterwards the socket was \($0.name))" } ?? "" : ""
        guard let result = write.result else { return nil }  // the ending sentence covers it
        if result < 0 {
            let name = ErrnoName.of(write.errno)
            if e.detail == .mechanism && name == "EPIPE" {
                return meetsEPIPE(number: number, evidence: e, errorReported: errorReported)
            }
            return "\(call) #\(number) failed with \(name)\(state): " + errnoCause(name, number: number, evidence: e, errorReported: errorReported)
                + signalStory(errno: name, sigpipe: write.sigpipe, s, detail: e.detail)
        }
        if result < write.bytes {
            let count = e.detail == .run ? "only \(result) bytes" : "only part"
            return "\(call) #\(number) wrote \(count) of its payload\(state): " + shortWriteCause(write, number: number, evidence: e)
        }
        return okSentence(write, number: number, evidence: e, state: state, call: call)
    }

    /// An EPIPE the kernel computed, whatever the disposition then made of its SIGPIPE (the report's
    /// Why says once what each disposition makes of it).
    package static func meetsEPIPE(number: Int, evidence e: Told, errorReported: Bool) -> String {
        let call = e.scenario.transport.isSocket ? "send" : "write"
        return "\(call) #\(number) meets EPIPE: " + errnoCause("EPIPE", number: number, evidence: e, errorReported: errorReported)
    }

    package static func okSentence(_ write: Step, number: Int, evidence e: Told, state: String, call: String) -> String {
        let s = e.scenario
        let raised = write.sigpipe ? " SIGPIPE was raised during it nonetheless." : ""
        guard number > 1, let ended = e.peerEndedBefore(send: number) else {
            // TCP_INFO is read after the call returns: the peer may have ended the connection by then.
            let after = write.tcpState.map { $0 != .established } == true && !state.isEmpty
                ? " when it ran; the state read after it already shows the peer's ending" : ""
            return "\(call) #\(number) succeeded\(state): the connection was still whole\(after)." + raised
        }
        if !ended {
            let reasons = e.disturbances.map(\.reason)
            let why: String
            if reasons.contains(.peerLate) || reasons.contains(.peerStartedLate) {
                why = "the machine had delayed the peer"
            } else if reasons.contains(.segmentLost) {
                why = "the link had dropped what the peer was waiting for"
            } else if e.evidence.linkFixedOrder(send: number) {
                why = "over the \(DurationText.format(s.rttNs)) round trip nothing from the peer could have reached our socket yet: the link's delay, not a race, fixed the order"
            } else {
                why = "with this little sleep the client's call came first, a race"
            }
            return "\(call) #\(number) succeeded\(state): the peer had not yet begun to end the connection when it started (\(why))." + raised
        }
        switch (s.transport, s.peer) {
        case (.tcp4, .shutdownWrite), (.tcp6, .shutdownWrite), (.unix, .shutdownWrite):
            return "\(call) #\(number) succeeded\(state): the kernel queued its bytes, though nobody will read them." + raised
        case (.tcp4, _), (.tcp6, _):
            let loopback = s.hasLink ? "" : " (loopback delivers it at once)"
            let provoked = state.hasSuffix(" CLOSE)")
                ? " Its data provoked the peer's RST, which came back before the call returned\(loopback), so the socket was CLOSE already."
                : ""
            // Only a close sends RST for unread data; a shutdown(SHUT_RDWR) sends FIN whatever is unread.
            let resetFirst = (e.leftUnread == true && s.peer == .close) || s.peer == .linger0 || s.peer == .closeUnread
            // A close whose unread data nothing showed: FIN or RST, our socket takes data until an RST arrives.
            let unknown = s.peer == .close && e.leftUnread == nil
            let accepted = resetFirst
                ? " although the peer had already ended the connection: \(LinkFates.acceptedBeforeRST(write, e))."
                : unknown ? " although the peer had ended the connection: whether it sent FIN or RST, our socket accepts data until an RST has arrived\(e.captured ? "" : " (packets not captured)"), and success only means the kernel queued the bytes."
                : " although the peer had ended the connection: \(LinkFates.acceptedAfterFIN(write, e))."
            return "\(call) #\(number) succeeded\(state)\(accepted)\(provoked)" + LinkFates.heldBack(number, e.evidence) + raised
        case (.unix, _), (.pipe, _):
            return "\(call) #\(number) succeeded\(state): the peer's close had begun but not yet taken effect when the call ran." + raised
        }
    }

    package static func shortWriteCause(_ write: Step, number: Int, evidence e: Told) -> String {
        let next = number < e.writes.count ? e.writes[number] : nil
        switch e.scenario.transport {
        case .tcp4, .tcp6:
            let reported = next.map { $0.errno != 0 ? " The next call reported it." : "" } ?? ""
            return "it blocked for buffer space, the connection was reset while it waited, and a call that has already queued part of its data returns that count instead of the error (tcp_sendmsg())."
                + noSignalWithCount(write, e, raiser: "tcp_sendmsg() raises it (in sk_stream_error())")
                + " The error stays stored on the socket for the next call." + reported + raisedDuring(write, e.scenario, detail: e.detail)
        case .unix:
            // Where the call was decides whether the error stays: waiting for space in
            // sock_alloc_send_pskb() it takes it; between two pieces unix_stream_sendmsg() leaves it.
            let ended = e.scenario.peer == .shutdownReadWrite
                ? "the peer's shutdown(SHUT_RDWR) marked our socket shut down for sending (unix_shutdown()), and the call returned the count it had queued instead of EPIPE. No error is stored: SO_ERROR would return 0"
                : "the peer closed with data unread: unix_release_sock() set ECONNRESET on our socket and shut it down, and the call returned the count it had queued. Whether the error is still stored depends on where the call was: waiting for space in sock_alloc_send_pskb(), it takes it (sock_error() reads and clears it); between two pieces, unix_stream_sendmsg() finds the peer dead and leaves it"
            return "it was still queueing its data (it waits whenever the peer's receive queue holds a full send buffer) when " + ended + ". The next write fails with EPIPE either way: our socket is shut down for sending."
                + noSignalWithCount(write, e, raiser: "unix_stream_sendmsg() raises it") + raisedDuring(write, e.scenario, detail: e.detail)
        case .pipe:
            let signal: String
            switch (write.sigpipe && e.detail == .run, e.detail == .run ? e.scenario.sigpipe : .nosignal) {
            case (true, .blocked): signal = " and raised SIGPIPE during the call, which stays pending while blocked"
            case (true, _): signal = " and raised SIGPIPE during the call, which the handler saw"
            case (false, .ignore): signal = " and raised SIGPIPE, which SIG_IGN discarded"
            case (false, _): signal = ""
            }
            return "it blocked with the pipe full; when the reader closed, pipe_write() returned the count it had written\(signal). Nothing is stored: the next write fails because no reader is left."
        }
    }

    package static func errnoCause(_ name: String, number: Int, evidence e: Told, errorReported: Bool) -> String {
        let s = e.scenario
        switch (name, s.transport) {
        case ("EPIPE", .tcp4), ("EPIPE", .tcp6):
            if e.ownShutdown && number >= 2 {
                return "the client's own shutdown(SHUT_WR) had shut the socket down for sending, so tcp_sendmsg() refuses the write with EPIPE."
            }
            let previous = number >= 2 ? e.writes[number - 2] : nil
            let finFirst = e.leftUnread == false && (s.peer == .close || s.peer == .shutdownReadWrite)
            // Only a send made after the peer ended can have provoked the RST that stored EPIPE: the
            // first such. Over a link the sends made while the RST travelled succeeded in between.
            let provoker = (1..<max(1, number)).first { e.peerEndedBefore(send: $0) == true && (e.writes[$0 - 1].result ?? -1) >= 0 }
            // By the packets, the state the RST found; without them, a FIN with nothing unread left CLOSE_WAIT.
            let closeWait = e.captured ? e.stateRSTFound == .closeWait : finFirst
            if !errorReported && closeWait, (previous?.result ?? -1) >= 0, let by = LinkFates.provoker(e.evidence, fallback: provoker) {
                let travelled = e.rstArrivalNs.map { " \(DurationDisplay.format($0 - by.leftNs)) after it left (by the packets)" }
                let between = by.lastSend < number - 1 ? "; the sends made while it was on its way still succeeded" : ""
                return "the RST provoked by \(by.name) arrived\(e.detail == .run ? travelled ?? "" : "")\(between) while our socket was in CLOSE_WAIT, so tcp_reset() stored EPIPE and closed the socket. This call is the first to report it: tcp_sendmsg() took the stored error in place of sending (sock_error() reads and clears it)."
            }
            if errorReported || previous?.result.map({ $0 < previous?.bytes ?? 0 }) == true {
                return "the socket was closed by the RST and its stored error has been reported, so it can no longer send: tcp_sendmsg() refuses every later write with EPIPE."
            }
            return "the socket can no longer send, so tcp_sendmsg() refuses the write with EPIPE."
        case ("EPIPE", .unix):
            return e.ownShutdown && number >= 2
                ? "the client's own shutdown(SHUT_WR) had marked our socket shut down for sending, so unix_stream_sendmsg() refuses the write."
                // The peer's close (unix_release_sock()) or shutdown (unix_shutdown()) set SEND_SHUTDOWN on
                // our socket: unix_stream_sendmsg() checks that before it looks at the peer.
                : "our socket is shut down for sending (the peer's close or shutdown marked it so), so unix_stream_sendmsg() refuses the write."
        case ("EPIPE", .pipe):
            return "no reader is left, so pipe_write() refuses the write."
        case ("ECONNRESET", .tcp4), ("ECONNRESET", .tcp6):
            // ECONNRESET is stored for any state but CLOSE_WAIT and SYN_SENT: ESTABLISHED, unless our own FIN went first.
            // The peer's paragraph told the RST's arrival and what it stored: only the call's part is left.
            let toldRST = s.peer == .close ? e.leftUnread == true : s.peer == .closeUnread || s.peer == .linger0
            if e.detail == .mechanism && e.peerRSTArrival != nil && toldRST {
                return "tcp_sendmsg() reported the error the RST stored in place of sending, clearing it (sock_error()). A call that reads the error first (recv, SO_ERROR) would have taken it instead."
            }
            let found = LinkFates.stateFound(e.evidence) ?? (e.ownShutdown ? "shut down for sending by our own shutdown" : "ESTABLISHED")
            return "the peer's RST had found our socket \(found), so tcp_reset() stored ECONNRESET and closed it; tcp_sendmsg() reported the stored error in place of sending, clearing it (sock_error()). A call that reads the error first (recv, SO_ERROR) would have taken it instead."
        case ("ECONNRESET", _):
            return "the peer closed with data unread, so unix_release_sock() stored ECONNRESET on our socket; this call had got past unix_stream_sendmsg()'s shutdown check before that, and sock_alloc_send_pskb() took the error (sock_error() reads and clears it)."
        case ("ECONNREFUSED", _):
            return "an RST arrived while the socket was still connecting (SYN_SENT)."
        case ("EAGAIN", _):
            return "the socket buffer was full and the call would have blocked."
        case ("EINTR", _):
            return "a signal interrupted the call before it could transfer anything."
        default:
            let code = ErrnoName.code(of: name).map { " (\(strerrorText($0)))" } ?? ""
            return "the kernel rejected the call\(code)."
        }
    }

    /// What happened to SIGPIPE on a failing call, given the disposition and what was recorded.
    package static func signalStory(errno name: String, sigpipe: Bool, _ s: Scenario, detail: Detail) -> String {
        guard detail == .run else { return "" }
        if sigpipe {
            return s.sigpipe == .blocked
                ? " The kernel also raised SIGPIPE; with the signal blocked it stayed pending while the call returned the error."
                : " The kernel also raised SIGPIPE; the installed handler caught it, and the call returned the error."
        }
        guard name == "EPIPE" else {
            return name == "ECONNRESET" ? " ECONNRESET comes without SIGPIPE: the kernel raises it only with EPIPE." : ""
        }
        switch s.sigpipe {
        case .ignore: return " The kernel raises SIGPIPE with EPIPE; ignored (SIG_IGN, as Python sets it at start-up), it leaves only the errno: Python's BrokenPipeError."
        case .nosignal: return " MSG_NOSIGNAL kept the kernel from raising SIGPIPE."
        case .default, .handler, .blocked: return ""
        }
    }

    package static func raisedDuring(_ write: Step, _ s: Scenario, detail: Detail) -> String {
        guard write.sigpipe, detail == .run else { return "" }
        return s.sigpipe == .blocked
            ? " SIGPIPE was raised during it and stays pending while blocked."
            : " The handler saw SIGPIPE during it."
    }

    /// A socket send cut short returns its count without SIGPIPE; said where the disposition shows it.
    package static func noSignalWithCount(_ write: Step, _ e: Told, raiser: String) -> String {
        guard e.detail == .run, !write.sigpipe, e.scenario.sigpipe == .handler || e.scenario.sigpipe == .blocked else { return "" }
        return " No SIGPIPE came with the count: \(raiser) only when nothing was sent."
    }

    /// A run whose sends all succeeded before the peer began to end the connection: one line, and
    /// over a lossy link a second naming what the link dropped (so the runs whose drops differ are
    /// told as ways of one mechanism, not each as a mechanism of its own).
    package static func allSendsFirst(_ e: Told) -> [String]? {
        guard e.outcome == .ok, !e.writes.isEmpty, e.writes.allSatisfy({ $0.result == $0.bytes }),
              e.writes.indices.allSatisfy({ e.peerEndedBefore(send: $0 + 1) == false }) else { return nil }
        let call = e.scenario.transport.isSocket ? "send" : "write"
        // A real program whose runtime made fewer writes than its sends (Node fails the rest itself).
        if e.scenario.client.isReal && e.writes.count < e.scenario.sends {
            return ["The program made \(e.writes.count) of its \(e.scenario.sends) sends as system calls on the connection, and each succeeded; its runtime did not make the others (what the program reported for them is under What each program saw, and in the Why of pipelab run)."]
        }
        // The link kept the peer from ending it: no race, and not the machine (DisturbanceExplainer).
        if e.disturbances.contains(where: { $0.reason == .segmentLost }) {
            let next = e.writes.count >= 2 ? "\(call) #2 started" : "the probe was made"
            return ["Every \(call) was made before the peer began to end the connection, although the sleep covered the round trip: a packet the link dropped before \(next) held the peer back, so every \(call) succeeded. The link decided these runs, not the machine: they count in the verdict (runs.disturbance = 'link').",
                    "The link dropped \(PacketStory.list(e.lostBeforeSleepEnds, e.evidence, timed: false)) before \(next)."]
        }
        // Over a link whose round trip outlasts the sends, nothing from the peer could arrive in time.
        if let last = e.writes.indices.last, e.evidence.linkFixedOrder(send: last + 1) {
            return ["Every \(call) was made within a round trip of \(DurationText.format(e.scenario.rttNs)) after send #1, before anything from the peer could come back over the link: its delay, not a race, fixed the order, so every \(call) succeeded and nothing was left to fail."]
        }
        return ["Every \(call) was made before the peer began to end the connection: with this little sleep the client came first (a race), so every \(call) succeeded and nothing was left to fail."]
    }

    /// A captured TCP run in which the peer ended the connection before a later send and still no
    /// send failed, in one line: by the packets, the RST came back too late for any send, or never.
    package static func noSendFailed(_ e: Told) -> String? {
        let s = e.scenario
        guard e.captured, s.transport.isTCP, s.peer != .shutdownWrite, e.outcome == .ok, let last = e.writes.last,
              e.writes.allSatisfy({ $0.result == $0.bytes }), e.writes.indices.contains(where: { e.peerEndedBefore(send: $0 + 1) == true }),
              let withRST = e.peerEndedWithRST else { return nil }
        let ended = withRST ? "with RST" : "with FIN (our socket still accepts data after one)"
        let rst = withRST ? "its RST" : "the RST our later data provoked"
        let fate: String
        // A dropped RST decided the run only if it would have reached our socket (half a round trip
        // after the link took it) before the last send began.
        let decisive = e.peerRSTsLost.contains { $0.tNs &+ s.rttNs / 2 < last.startNs }
        if let arrival = e.peerRSTArrival {
            guard arrival.tNs >= last.startNs else { return nil }
            fate = decisive
                ? "the link dropped \(rst), and the next RST, answering data we sent later, reached our socket only after the last send had begun"
                : "\(rst) reached our socket only after the last send had begun" + (s.hasLink ? " (over the link's round trip)" : "")
        } else if decisive {
            fate = "the link dropped \(rst), which would have reached our socket before the last send, and none came after it"
        } else {
            // A drop that would have come too late anyway changed nothing: told as no drop.
            fate = withRST ? "its RST had not reached our socket when the run ended" : "no RST came back while the run lasted"
        }
        return "The peer ended the connection before the last send, \(ended); \(fate), so every send succeeded and nothing was left to fail."
    }

    // MARK: How the run ended

    /// For a process that died or hung inside a call: which call, and why.
    package static func endingSentence(_ e: Told) -> String? {
        let call = e.scenario.transport.isSocket ? "send" : "write"
        let number = e.writes.firstIndex { $0.result == nil }.map { $0 + 1 }
        switch e.outcome {
        case .killed:
            let at = number.map { "\(call) #\($0)" } ?? "a \(call)"
            guard e.termSignal == SIGPIPE else {
                return "The process that sent was killed by \(SignalName.of(e.termSignal ?? 0)) during \(at); the calls before it are all it made."
            }
            return "\(at) raised SIGPIPE, whose default action ends the process: the process that sent was killed inside the call, exactly as a C program dies of a broken pipe (a shell shows exit status 141 = 128 + 13). The call never returned, so no errno was seen."
        case .timeout:
            return timeoutSentence(e, call: call, number: number)
        case .ok:
            return rstAfterLastSend(e)
        case .error, .harnessError:
            return nil
        }
    }

    /// A TCP run whose every send succeeded although the peer's RST came back: by the packets, it
    /// came too late for any of them.
    package static func rstAfterLastSend(_ e: Told) -> String? {
        guard e.scenario.transport.isTCP, let last = e.writes.last, e.writes.allSatisfy({ $0.result == $0.bytes }),
              let arrival = e.peerRSTArrival, arrival.tNs >= last.startNs else { return nil }
        let at = e.detail == .run ? " (at \(DurationDisplay.format(arrival.tNs)))" : ""
        return "The peer's RST reached our socket only after the last send had begun\(at), so no send was left to report its error."
    }
}

extension Explainer {
    /// Where the run was when its timeout stopped it, from the call it was in (announced, never
    /// returned) and the packets the link dropped.
    package static func timeoutSentence(_ e: Told, call: String, number: Int?) -> String {
        let lost = e.lostPackets
        let dropped = lost.isEmpty ? "" : " The link dropped " + PacketStory.list(lost, e.evidence, timed: e.detail == .run) + "."
        if let number {
            let why = e.peerEnd != nil && e.scenario.peer == .shutdownWrite
                ? ": nobody reads on the other side any more, so the buffer space it waited for never came free"
                : ""
            return "\(call) #\(number) blocked and had not returned when the run's timeout stopped it\(why).\(dropped)"
        }
        switch e.pendingCall.map({ ($0.actor, $0.op) }) {
        case (.client, .connect)?:
            return "The run's timeout stopped it inside connect(): the handshake had not completed.\(dropped)"
        case (.peer, .accept)?:
            return "The run's timeout stopped it inside the peer's accept(): the handshake had not completed on the peer's side.\(dropped)"
        default:
            let made = e.writes.count == e.scenario.sends ? "after the client had made all its calls" : "between the client's calls"
            let peer = e.peerReadBytes == nil && e.scenario.peer != .closeUnread
                ? ", while the peer was still waiting in its read for our data" : e.peerEnd == nil ? ", before the peer ended the connection" : ""
            let retry = lost.contains { $0.direction == .clientToPeer && $0.length > 0 } ? " TCP's retransmissions had not got it through by then." : ""
            return "The run's timeout stopped it \(made)\(peer).\(dropped)\(retry)"
        }
    }
}

/// A run's evidence with how much of it to tell.
@dynamicMemberLookup
package struct Told {
    package let evidence: RunEvidence
    package let detail: Explainer.Detail
    /// The client's own shutdown(SHUT_WR) probe succeeded: its sends after it fail for that reason.
    package let ownShutdown: Bool

    package init(_ evidence: RunEvidence, detail: Explainer.Detail, ownShutdown: Bool) {
        self.evidence = evidence
        self.detail = detail
        self.ownShutdown = ownShutdown
    }

    package subscript<T>(dynamicMember path: KeyPath<RunEvidence, T>) -> T { evidence[keyPath: path] }

    /// Whether the peer closed with data unread: by FIONREAD, or where it could not tell (our data
    /// still arriving) by the packets, since close() sends RST only with data unread.
    package var leftUnread: Bool? {
        evidence.peerLeftUnread ?? (evidence.scenario.peer == .close ? evidence.peerEndedWithRST : nil)
    }

    package func peerEndedBefore(send number: Int) -> Bool? { evidence.peerEndedBefore(send: number) }
}
