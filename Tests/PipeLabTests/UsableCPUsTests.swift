import Foundation
@testable import PipeLabKernel
import Testing

/// Default `--jobs` follows the CPUs the process may use, not the machine's.
@Suite struct UsableCPUsTests {
    @Test func aQuotaIsRoundedUpAndNoQuotaIsNone() {
        #expect(UsableCPUs.cpus(cpuMax: "200000 100000\n") == 2)
        #expect(UsableCPUs.cpus(cpuMax: "150000 100000") == 2)
        #expect(UsableCPUs.cpus(cpuMax: "50000 100000") == 1)
        #expect(UsableCPUs.cpus(cpuMax: "max 100000") == nil)
        #expect(UsableCPUs.cpus(cpuMax: "-1 100000") == nil)
        #expect(UsableCPUs.cpus(cpuMax: "") == nil)
    }

    /// `taskset -c 0`: one CPU, so 2 jobs, or 16 when the grid sleeps (at least 8).
    @Test func anAffinityOfOneCPUGivesTheJobsOfOne() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
        let help = try CLI.run(["-c", "0", CLI.binary, "sweep", "--help"], executable: "/usr/bin/taskset")
        #expect(help.status == 0)
        #expect(help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("2 or 16 here"), "\(help.stdout)")
    }
}
