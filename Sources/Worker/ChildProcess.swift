import Glibc
import PipeLabExperiment
import PipeLabKernel

/// A program the worker starts: a real client under strace, or the compiler that builds one. Its
/// standard input is /dev/null and its output goes to the files given; it inherits the worker's
/// process group, so a run killed at its timeout takes the program with it.
package struct ChildProcess {
    package let pid: pid_t

    /// Starts `arguments` (the first found in PATH) with `environment` added to the worker's own.
    /// - Parameter sigpipe: `default` starts it with SIGPIPE at SIG_DFL, `blocked` with SIG_DFL and
    ///   SIGPIPE in its signal mask (both survive exec, and strace keeps them for its tracee);
    ///   otherwise it inherits the worker's disposition (SIG_IGN survives exec, a handler does not).
    package init(_ arguments: [String], environment: [String: String] = [:], output: String, errors: String,
                 sigpipe: SigpipeMode = .ignore) throws(SystemError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if errors == output {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        if sigpipe == .blocked { sigaddset(&mask, SIGPIPE) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        if sigpipe == .default || sigpipe == .blocked { sigaddset(&defaults, SIGPIPE) }
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var inherited: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !environment.keys.contains(where: { text.hasPrefix($0 + "=") }) { inherited.append(text) }
            index += 1
        }
        let added = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = (inherited + added).map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments.first ?? "", &actions, &attributes, argv, envp)
        guard status == 0 else { throw SystemError("starting \(arguments.first ?? "nothing")", errno: status) }
        self.pid = pid
    }

    /// Waits for it to end.
    package func wait() -> ProcessTermination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return ProcessTermination(waitStatus: status)
    }

    /// Its end, if it has ended; nil while it runs.
    package func ended() -> ProcessTermination? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        return reaped == pid ? ProcessTermination(waitStatus: status) : nil
    }

    /// Runs `arguments` to its end; its output and errors are kept in `log`.
    package static func run(_ arguments: [String], environment: [String: String] = [:], log: String) throws(SystemError) -> ProcessTermination {
        try ChildProcess(arguments, environment: environment, output: log, errors: log).wait()
    }
}
