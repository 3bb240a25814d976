import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork
import PipeLabStore
import PipeLabWorker

/// A worker: this same binary in its hidden `worker` mode, spawned with its channel on fd 3.
package final class WorkerProcess {
    package let pid: pid_t
    package let channel: Channel
    /// The steps of the run in progress, written by the worker, read here once the run ends.
    package let log: StepLog

    /// The recorder's real-time tokens, shared by all its workers (RealTimeTokens).
    private static let realTimeTokens = RealTimeTokens.create()

    /// How a worker ended: never fold a signal into an exit code.
    /// - Parameter userCommand: `--client-cmd`'s program, handed to the worker for runs of client `command`.
    package init(executable: String, userCommand: String? = nil) throws(SystemError) {
        let (ours, theirs) = try Channel.pair()
        let (log, logFD): (StepLog, Int32)
        do { (log, logFD) = try StepLog.create() } catch {
            ours.close()
            theirs.close()
            throw error
        }
        defer { Glibc.close(logFD) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs.fd, WorkerMain.channelFD)
        posix_spawn_file_actions_adddup2(&actions, logFD, StepLog.workerFD)
        if let tokens = Self.realTimeTokens { posix_spawn_file_actions_adddup2(&actions, tokens, RealTimeTokens.workerFD) }

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

        // Each worker enters a network namespace of its own where the machine allows it.
        let isolate = Isolation.available == .netns ? ["--netns"] : []
        let command = userCommand.map { ["--client-cmd", $0] } ?? []
        let argv: [UnsafeMutablePointer<CChar>?] = (["worker", "--recorder", String(getpid())] + isolate + command).reduce(into: [strdup(executable)]) {
            $0.append(strdup($1))
        } + [nil]
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
        self.log = log
    }

    /// Reaps the worker once it has exited or been killed.
    package func wait() -> ProcessTermination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        channel.close()
        return ProcessTermination(waitStatus: status)
    }

    /// Asks the worker to send the packets of the run it is stuck in (StopReporter); only the worker
    /// itself, not its process group: a forked client keeps the signal's default action.
    package func requestStop() -> Bool {
        Glibc.kill(pid, StopReporter.stopSignal) == 0
    }

    /// Kills the worker and the client it may have forked: each worker leads its own process group.
    package func kill() -> ProcessTermination {
        _ = Glibc.kill(-pid, SIGKILL)
        return wait()
    }

    /// The running binary, which workers run again in worker mode.
    package static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
