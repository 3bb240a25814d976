import Foundation

/// What a real program said and how it ended, beside the steps strace recorded: `runs.client_exit`,
/// `client_sigpipe`, `client_output` and, derived from the output, `client_error`.
public struct ClientReport: Sendable, Equatable {
    /// Its exit status; nil when a signal ended it (the run's `term_signal`).
    public var exitCode: Int32?
    /// The SIGPIPE disposition its writes met: as it started, or as it last set it.
    public var disposition: SigpipeDisposition
    /// The last lines it printed (standard output, then standard error), at most `outputLimit` bytes.
    public var output: String

    public static let outputLimit = 2048

    public init(exitCode: Int32?, disposition: SigpipeDisposition, output: String) {
        self.exitCode = exitCode
        self.disposition = disposition
        self.output = output
    }

    /// The last `outputLimit` bytes of `text`, from a line's start where one is in reach.
    public static func tail(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > outputLimit else { return text }
        var cut = bytes[(bytes.count - outputLimit)...]
        if let newline = cut.firstIndex(of: UInt8(ascii: "\n")) { cut = cut[(newline + 1)...] }
        return String(decoding: cut, as: UTF8.self)
    }

    /// One send as the program reported it (Clients/README.md's JSON lines).
    public struct Send: Sendable, Equatable {
        public var number: Int
        public var ok: Bool
        /// `BrokenPipeError: [Errno 32] Broken pipe`, `Error [EPIPE]: write EPIPE`, `errno 32: Broken pipe`.
        public var error: String?
        /// The errno the program's report names, where its runtime gives one (Node's are negative).
        public var errno: Int?
        /// The error code it names (Node's `EPIPE`, `ERR_STREAM_DESTROYED`), where its runtime gives one.
        public var code: String? = nil
    }

    /// The sends the program reported, in the order it printed them; empty for a program that
    /// prints something else (a user's own).
    public var sends: [Send] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let number = object["send"] as? Int, let ok = object["ok"] as? Bool else { return nil }
            // A printed errno without a magnitude (Int.min) is none.
            let errno = (object["errno"] as? Int).flatMap { Int(exactly: $0.magnitude) }
            return Send(number: number, ok: ok, error: ok ? nil : Self.describe(object), errno: errno,
                        code: object["code"] as? String)
        }
    }

    /// `text` with the port of every address left out (`127.0.0.1:PORT`, `[::1]:PORT`): runtimes
    /// that name the connection in their message (Go) say the same thing in every run.
    public static func withoutPorts(_ text: String) -> String {
        text.replacing(#/(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.]+\]):\d+/#) { "\($0.output.1):PORT" }
    }

    /// A failure the program was told of: at one of its sends, or (`send` nil) in an 'error' event
    /// its runtime raised outside any send (Node's own read meeting the ECONNRESET an RST stored).
    public struct Told: Sendable, Equatable {
        public var error: String
        public var send: Int?
        /// The error code it names (`ECONNRESET`), where its runtime gives one.
        public var code: String?
    }

    /// Every failure the program was told of, in the order it printed them.
    public var told: [Told] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let code = object["code"] as? String
            if let number = object["send"] as? Int, object["ok"] as? Bool == false { return Told(error: Self.describe(object), send: number, code: code) }
            return object["event"] as? String == "error" ? Told(error: Self.describe(object), send: nil, code: code) : nil
        }
    }

    /// `runs.client_error`: every failure the program was told of, in order, a repeated one once
    /// (`Error [ECONNRESET]: read ECONNRESET (an 'error' event), then Error [ERR_STREAM_DESTROYED]: …`);
    /// nil when it reported none (every send succeeded, it died first, or it does not report in JSON).
    public var error: String? {
        var texts: [String] = []
        for failure in told {
            let text = failure.error + (failure.send == nil ? " (an 'error' event)" : "")
            if texts.last != text { texts.append(text) }
        }
        return texts.isEmpty ? nil : texts.joined(separator: ", then ")
    }

    private static func describe(_ object: [String: Any]) -> String {
        let message = object["message"] as? String ?? ""
        let errno = (object["errno"] as? Int).map { "errno \($0)" }
        guard let kind = object["error"] as? String else { return [errno, message].compactMap { $0 }.joined(separator: ": ") }
        let code = (object["code"] as? String).map { " [\($0)]" } ?? ""
        return "\(kind)\(code): \(message)"
    }
}
