import PipeLabKernel

/// A run's outcome in one comparable string (DESIGN.md, "What is recorded"):
/// one token per send joined by commas — `ok`, `short:N`, or the errno name — with `+SIGPIPE` when
/// the signal was raised during that call; `killed:SIGNAME` ends the signature of a killed worker.
/// pipelab adds two endings DESIGN.md leaves open: `timeout` for a run that hung past its timeout
/// (after the tokens of the sends that returned), and `harness-error` for a run pipelab could not carry out.
public enum Signature {
    public static func of(_ run: RunResult) -> String {
        if run.outcome == .harnessError { return "harness-error" }
        var tokens = run.clientWrites.compactMap(token(for:))
        switch run.outcome {
        case .killed: tokens.append("killed:" + SignalName.of(run.termSignal ?? 0))
        case .timeout: tokens.append("timeout")
        case .ok, .error, .harnessError: break
        }
        return tokens.joined(separator: ",")
    }

    /// The token of one completed send; nil for a call the worker did not return from.
    package static func token(for step: Step) -> String? {
        guard let result = step.result else { return nil }
        var token: String
        if result < 0 {
            token = ErrnoName.of(step.errno)
        } else if result < step.bytes {
            token = "short:\(result)"
        } else {
            token = "ok"
        }
        if step.sigpipe { token += "+SIGPIPE" }
        return token
    }

    /// One parsed token, for explaining signatures read back from a database.
    public enum Token: Equatable, Sendable {
        case ok(sigpipe: Bool)
        case short(bytes: Int64, sigpipe: Bool)
        case errno(name: String, sigpipe: Bool)
        case killed(signal: String)
        case timeout
        case harnessError
    }

    /// Parses a signature back into tokens; nil when it is not in the grammar.
    public static func parse(_ signature: String) -> [Token]? {
        if signature == "harness-error" { return [.harnessError] }
        var tokens: [Token] = []
        let parts = signature.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            if part.hasPrefix("killed:") {
                guard isLast, part.count > 7 else { return nil }
                tokens.append(.killed(signal: String(part.dropFirst(7))))
                continue
            }
            if part == "timeout" {
                guard isLast else { return nil }
                tokens.append(.timeout)
                continue
            }
            let sigpipe = part.hasSuffix("+SIGPIPE")
            let body = sigpipe ? String(part.dropLast(8)) : part
            if body == "ok" {
                tokens.append(.ok(sigpipe: sigpipe))
            } else if body.hasPrefix("short:"), let bytes = Int64(body.dropFirst(6)), bytes >= 0 {
                tokens.append(.short(bytes: bytes, sigpipe: sigpipe))
            } else if body.count > 1, body.hasPrefix("E"), body.dropFirst().allSatisfy({ $0.isUppercase || $0.isNumber }) {
                tokens.append(.errno(name: body, sigpipe: sigpipe))
            } else {
                return nil
            }
        }
        return tokens.isEmpty ? nil : tokens
    }
}
