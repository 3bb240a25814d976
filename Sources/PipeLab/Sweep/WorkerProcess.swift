import Glibc

/// A worker: this same binary in its hidden `worker` mode, spawned with its channel on fd 3.
final class WorkerProcess {
    let pid: pid_t
    let channel: Channel

    /// How a worker ended: never fold a signal into an exit code.
    enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    init(executable: String) throws(SystemError) {
        let (ours, theirs) = try Channel.pair()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs.fd, WorkerMain.channelFD)

        // Its own process group keeps a terminal's Ctrl-C for the recorder, which then lets the
        // runs in flight finish; an empty mask and default SIGPIPE give every worker a clean start
        // whatever pipelab inherited (Python, for one, starts programs with SIGPIPE ignored).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = SigpipeControl.sigpipeSet()
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), strdup("worker"), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        theirs.close()
        guard status == 0 else {
            ours.close()
            throw SystemError("starting a worker (\(executable))", errno: status)
        }
        self.pid = pid
        channel = ours
    }

    /// Reaps the worker once it has exited or been killed.
    func wait() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        channel.close()
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7f
        return signal != 0 ? .signaled(signal) : .exited((status >> 8) & 0xff)
    }

    func kill() -> Termination {
        _ = Glibc.kill(pid, SIGKILL)
        return wait()
    }

    /// The running binary, which workers run again in worker mode.
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
