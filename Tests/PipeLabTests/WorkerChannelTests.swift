import Foundation
import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

/// The hidden worker mode fed what its recorder never sends: it answers with one line and exit 64,
/// never a trap. Each test spawns the real binary the way a recorder does (channel on fd 3, step
/// log on fd 4) but with standard error captured.
@Suite struct WorkerChannelTests {
    /// A job record as the recorder encodes it, with one slot overwritten.
    static func job(_ slot: Int? = nil, _ value: Int64 = 0) -> [Int64] {
        var scenario = Scenario.classic
        scenario.sleepNs = 0
        var record = WireMessage.job(token: 1, scenario: scenario, lossSeed: 0).encode()
        if let slot { record[slot] = value }
        return record
    }

    static let craftedMessages: [(String, [Int64])] = [
        ("sends 0", job(6, 0)),
        ("sends -1", job(6, -1)),
        ("sends 10001", job(6, 10_001)),
        ("payload -1", job(7, -1)),
        ("payload 1 TiB", job(7, 1 << 40)),
        ("sleep -1", job(5, -1)),
        ("sleep Int64.max", job(5, Int64.max)),
        ("transport index 9", job(2, 9)),
        ("sigpipe index -1", job(4, -1)),
        ("unknown kind", job(0, 99)),
        ("a pipe that lingers", { var lingering = Scenario.classic
                                  (lingering.transport, lingering.peer) = (.pipe, .linger0)
                                  var r = job(2, Dimensions.transport.wire(lingering))
                                  r[3] = Dimensions.peer.wire(lingering); return r }()),
        ("loss 100.01%", job(11, 10_001)),
        ("a seed beyond 32 bits", job(12, 1 << 40)),
        ("a step record, not a job", WireMessage.runDone(token: 1).encode()),
        ("errno beyond Int32 in a record the worker must not get", { var r = WireMessage.clientKilled(token: 1, signal: 9).encode(); r[2] = Int64.max; return r }()),
        ("nine records in one message", Array((0..<9).map { _ in job() }.joined())),
    ]

    @Test(arguments: craftedMessages.map(\.0))
    func craftedRecordGetsOneLineAndExit64(_ name: String) throws {
        let slots = Self.craftedMessages.first { $0.0 == name }?.1 ?? []
        let result = try WorkerUnderTest.feed(slots.withUnsafeBytes { Array($0) })
        #expect(result.termination == .exited(64), "\(name): \(result.stderr)")
        #expect(result.stderr.hasPrefix("pipelab worker: the channel carried "), "\(result.stderr)")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test func aMessageThatIsNotWholeRecordsGetsOneLineAndExit64() throws {
        let result = try WorkerUnderTest.feed(Array("hello".utf8))
        #expect(result.termination == .exited(64))
        #expect(result.stderr == "pipelab worker: the channel carried a message of 5 bytes (not 1 to 8 records of \(WireMessage.byteCount) bytes); accepted: job records from the recorder that started this worker\n")
    }

    @Test func aValidJobRunsAndTheWorkerEndsQuietlyWhenTheChannelCloses() throws {
        let result = try WorkerUnderTest.feed(Self.job().withUnsafeBytes { Array($0) })
        #expect(result.termination == .exited(0))
        #expect(result.stderr.isEmpty)
        #expect(result.replies.contains { if case .runDone(token: 1) = $0 { true } else { false } })
    }

    @Test func aStepLogThatIsTooSmallIsRefusedBeforeItIsMapped() throws {
        let result = try WorkerUnderTest.feed([], logBytes: 4096)
        #expect(result.termination == .exited(64))
        #expect(result.stderr.hasPrefix("pipelab worker: fd 4 is not a step log"), "\(result.stderr)")
    }
}

/// A worker spawned as the recorder spawns it, with standard error going to a file.
enum WorkerUnderTest {
    struct Result {
        var termination: ProcessTermination
        var stderr: String
        var replies: [WireMessage]
    }

    /// Sends `message` (unless empty), reads replies until the run ends or the worker leaves,
    /// closes the channel and waits for the worker.
    static func feed(_ message: [UInt8], logBytes: Int? = nil) throws -> Result {
        let (_, logFD) = try StepLog.create()
        defer { close(logFD) }
        if let logBytes { _ = ftruncate(logFD, off_t(logBytes)) }
        let errorFile = try temporaryDirectory().appendingPathComponent("stderr")
        let errorFD = open(errorFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(errorFD) }
        let (ours, theirs) = try Channel.pair()

        // Above the worker's fds first: a step log that happened to be fd 3 would be replaced by
        // the channel's dup2 before its own (the test then failed now and then in a full run).
        let channelSource = fcntl(theirs.fd, F_DUPFD_CLOEXEC, 10), logSource = fcntl(logFD, F_DUPFD_CLOEXEC, 10)
        let errorSource = fcntl(errorFD, F_DUPFD_CLOEXEC, 10)
        defer { close(logSource); close(errorSource) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, channelSource, WorkerMain.channelFD)
        posix_spawn_file_actions_adddup2(&actions, logSource, StepLog.workerFD)
        posix_spawn_file_actions_adddup2(&actions, errorSource, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(CLI.binary), strdup("worker"), strdup("--recorder"), strdup(String(getpid())), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, CLI.binary, &actions, nil, argv, environ)
        theirs.close()
        close(channelSource)
        guard status == 0 else {
            ours.close()
            throw TestFailure("posix_spawn: \(status)")
        }

        var replies: [WireMessage] = []
        if !message.isEmpty {
            _ = message.withUnsafeBytes { send(ours.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            reading: while case .messages(let received) = ours.receive(blocking: true) {
                replies += received
                if received.contains(where: \.endsRun) { break reading }
            }
        }
        ours.close()
        var wait: Int32 = 0
        while waitpid(pid, &wait, 0) == -1 && errno == EINTR {}
        return Result(termination: ProcessTermination(waitStatus: wait),
                      stderr: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self), replies: replies)
    }
}
