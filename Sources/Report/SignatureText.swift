import PipeLabExperiment

/// Signatures as people read them, derived from their content alone, so a signature reads the
/// same in every sweep, report, terminal and compare (the database keeps the full form).
package enum SignatureText {
    /// Signatures of more sends than this are run-length compacted where people read them.
    package static let longTokens = 8
    /// In a matrix code, equal consecutive symbols from this many on are written once with their count.
    package static let runLength = 4

    /// `ok,ok,EPIPE` as it is; a long one run-length compacted: `ok×2,EPIPE×9998`.
    package static func compact(_ signature: String) -> String {
        let tokens = signature.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count > longTokens else { return signature }
        return runs(tokens).map { $0.count > 1 ? "\($0.token)×\($0.count)" : $0.token }.joined(separator: ",")
    }

    /// A few characters per send for a matrix cell: `..P` is `ok,ok,EPIPE`, `.RK` is
    /// `ok,ECONNRESET,killed:SIGPIPE`; `codeLegend` lists the symbols.
    package static func code(_ signature: String) -> String {
        let symbols = signature.split(separator: ",", omittingEmptySubsequences: false).map { symbol(String($0)) }
        return runs(symbols).map { $0.count >= runLength ? "\($0.token)×\($0.count)" : String(repeating: $0.token, count: $0.count) }
            .joined()
    }

    package static let codeLegend = [". ok · P EPIPE · R ECONNRESET · s short write · K killed:SIGPIPE · + SIGPIPE raised",
                                     "T timeout · [E…] another errno · P×9 nine sends in a row of one kind"]

    package static func symbol(_ token: String) -> String {
        let raised = token.hasSuffix("+SIGPIPE")
        let body = raised ? String(token.dropLast("+SIGPIPE".count)) : token
        let base: String
        switch body {
        case "ok": base = "."
        case "EPIPE": base = "P"
        case "ECONNRESET": base = "R"
        case "killed:SIGPIPE": base = "K"
        case "timeout": base = "T"
        case "harness-error": base = "[harness-error]"
        case _ where body.hasPrefix("short:"): base = "s"
        case _ where body.hasPrefix("killed:"): base = "[" + body + "]"
        default: base = "[" + body + "]"
        }
        return raised ? base + "+" : base
    }

    private static func runs(_ tokens: [String]) -> [(token: String, count: Int)] {
        var out: [(token: String, count: Int)] = []
        for token in tokens {
            if out.last?.token == token { out[out.count - 1].count += 1 } else { out.append((token, 1)) }
        }
        return out
    }
}
