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

/// Faults that come to the workers from outside: kills, stray connections, large payloads.
@Suite struct WorkerFaultTests {
    /// A worker or forked client killed by someone else is not an experimental outcome: it is a
    /// `harness-error` naming the signal, and the sweep runs it again.
    @Test func aRunKilledFromOutsideIsRerunNotRecordedAsKilled() throws {
        let directory = try temporaryDirectory()
        let sweep = try Background(["sweep", "--transport", "tcp4", "--peer", "close", "--sigpipe", "ignore,default", "--sleep", "1s",
                                    "--sends", "3", "--payload", "5", "--repeat", "2", "--jobs", "4", "--quiet"], in: directory)
        // Every run's client is a forked child of its worker.
        #expect(eventually(within: 10) {
            sweep.workers().count == 4 && sweep.workers().allSatisfy { Background.children(of: $0).count == 1 }
        })
        Thread.sleep(forTimeInterval: 0.2)
        // One run's forked client, and another run's worker.
        let workers = sweep.workers()
        #expect(workers.first.flatMap { Background.children(of: $0).first }.map { kill($0, SIGKILL) } == 0)
        #expect(workers.dropFirst().first.map { kill($0, SIGKILL) } == 0)
        let output = sweep.finish()
        #expect(output.status == 0, "\(output.stderr)")
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try query(database, "SELECT status, planned_runs FROM sweeps;") == "completed|4\n")
        #expect(try query(database, "SELECT signature, COUNT(*) FROM runs GROUP BY 1 ORDER BY 1;") == "ok,ok,EPIPE|2\nok,ok,killed:SIGPIPE|2\n")
        #expect(try query(database, "SELECT COUNT(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.outcome = 'harness-error';") == "0\n")
    }

    /// A `harness-error` recorded by an interrupted sweep is run again by `--resume`.
    @Test func resumeRerunsHarnessErrors() throws {
        let directory = try SweepLeaseTests.interruptedSweep()
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try CLIShell.sqlite3(database.path, """
            UPDATE runs SET outcome = 'harness-error', signature = 'harness-error', harness_error = 'the run''s process was killed by SIGKILL'
            WHERE id = (SELECT MIN(id) FROM runs);
            """).status == 0)
        let resumed = try CLI.run(["sweep", "--resume", "1", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try SweepLeaseTests.checkWhole(database, runs: 40)
        #expect(try query(database, "SELECT COUNT(*) FROM runs WHERE outcome = 'harness-error';") == "0\n")
    }

    /// The local TCP ports of the sockets of `pids` (from /proc/net/tcp and tcp6): those they listen
    /// on, and those of their connections (an accepted socket has its listener's port).
    static func listeningPorts(of pids: [Int32]) -> [(family: Int32, port: UInt16)] {
        var inodes = Set<String>()
        for pid in pids {
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"), link.hasPrefix("socket:[") {
                    inodes.insert(String(link.dropFirst(8).dropLast()))
                }
            }
        }
        var ports: [(Int32, UInt16)] = []
        for (table, family) in [("/proc/net/tcp", AF_INET), ("/proc/net/tcp6", AF_INET6)] {
            let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, inodes.contains(String(fields[9])),
                      let port = fields[1].split(separator: ":").last.flatMap({ UInt16($0, radix: 16) }) else { continue }
                ports.append((family, port))
            }
        }
        return ports
    }

    /// Non-blocking connects to every port of the workers, kept open unread, until `stop`.
    static func flood(recorder: Int32, stop: @escaping @Sendable () -> Bool) -> Int {
        var attempts = 0
        var open: [Int32] = []
        while !stop() {
            for (family, port) in listeningPorts(of: Background.processes(whoseCommandLineContains: "--recorder\0\(recorder)\0")) {
                let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                guard fd >= 0 else { continue }
                if family == AF_INET {
                    var address = sockaddr_in()
                    address.sin_family = sa_family_t(AF_INET)
                    address.sin_port = port.bigEndian
                    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                } else {
                    var address = sockaddr_in6()
                    address.sin6_family = sa_family_t(AF_INET6)
                    address.sin6_port = port.bigEndian
                    address.sin6_addr = in6addr_loopback
                    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
                }
                attempts += 1
                open.append(fd)
            }
            if open.count > 500 {
                open.forEach { close($0) }
                open.removeAll()
            }
        }
        open.forEach { close($0) }
        return attempts
    }

    /// 200 runs under a flood of stray connections end exactly like 200 runs without one. On the
    /// host's loopback: in namespaces of their own (IsolationTests) no stray can reach them at all.
    @Test func aFloodOfStrayConnectionsChangesNoOutcome() throws {
        let arguments = ["sweep", "--transport", "tcp4,tcp6", "--peer", "close", "--sigpipe", "ignore", "--sleep", "100ms", "--sends", "3",
                         "--payload", "5", "--repeat", "100", "--jobs", "8", "--quiet"]
        func outcomes(flooded: Bool) throws -> (String, Int) {
            let directory = try temporaryDirectory()
            let sweep = try Background(arguments, in: directory, environment: ["PIPELAB_ISOLATION": "host"])
            let done = Atomic(false)
            let attempts = Atomic(0)
            let recorder = sweep.pid
            let flooder = flooded ? Thread { attempts.value = Self.flood(recorder: recorder, stop: { done.value }) } : nil
            flooder?.start()
            let output = sweep.finish()
            done.value = true
            while flooder?.isFinished == false { Thread.sleep(forTimeInterval: 0.01) }
            #expect(output.status == 0, "\(output.stderr)")
            return (try query(directory.appendingPathComponent("pipelab.sqlite"),
                              "SELECT transport, outcome, signature, COUNT(*) FROM runs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;"), attempts.value)
        }
        let (quiet, _) = try outcomes(flooded: false)
        let (flooded, attempts) = try outcomes(flooded: true)
        #expect(quiet == "tcp4|error|ok,ok,EPIPE|100\ntcp6|error|ok,ok,EPIPE|100\n")
        #expect(flooded == quiet)
        #expect(attempts > 0)
    }

    /// A 256 MiB payload on 4 workers: each worker stays small (the payload is the shared zero page).
    @Test func aLargePayloadCostsNoMemoryPerWorker() throws {
        let directory = try temporaryDirectory()
        let sweep = try Background(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "1s", "--sends", "2",
                                    "--payload", "256MiB", "--repeat", "4", "--jobs", "4", "--quiet"], in: directory)
        #expect(eventually(within: 10) { sweep.workers().count == 4 })
        Thread.sleep(forTimeInterval: 0.5)
        let rss = sweep.workers().map { pid -> Int in
            let status = FileManager.default.contents(atPath: "/proc/\(pid)/status").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        #expect(sweep.finish().status == 0)
        #expect(rss.count == 4 && rss.allSatisfy { $0 > 0 && $0 < 64 * 1024 }, "worker RSS in KiB: \(rss)")
    }
}

/// A flag shared between a test and the thread it started.
final class Atomic<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
