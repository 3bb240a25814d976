import CPipeLabSupport
import Foundation

/// The CPUs this process may use, which a sweep's default `--jobs` follows: the CPUs of its
/// affinity mask (`taskset`, a Slurm or Kubernetes CPU set), and no more than the CPU quota of
/// its cgroup and of each cgroup above it (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`), rounded
/// up; at least 1. (Foundation's activeProcessorCount counts the machine's CPUs.)
public enum UsableCPUs {
    public static let count: Int = {
        let affinity = affinityCount() ?? ProcessInfo.processInfo.activeProcessorCount
        return max(1, min(affinity, quotaCount() ?? affinity))
    }()

    private static func affinityCount() -> Int? {
        let count = Int(pipelab_affinity_cpus())
        return count > 0 ? count : nil
    }

    /// The smallest quota on the way from this process's cgroup up to the root.
    private static func quotaCount() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var quotas: [Int] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            let root: String?, read: (String) -> Int?
            if fields[0] == "0" && fields[1].isEmpty {
                root = "/sys/fs/cgroup"
                read = { directory in (try? String(contentsOfFile: directory + "/cpu.max", encoding: .utf8)).flatMap(cpus(cpuMax:)) }
            } else if controllers.contains("cpu") {
                root = ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"].first { FileManager.default.fileExists(atPath: $0) }
                read = { directory in
                    let quota = try? String(contentsOfFile: directory + "/cpu.cfs_quota_us", encoding: .utf8)
                    let period = try? String(contentsOfFile: directory + "/cpu.cfs_period_us", encoding: .utf8)
                    return cpus(cpuMax: "\(quota ?? "max") \(period ?? "")")
                }
            } else { continue }
            guard let root else { continue }
            var path = fields[2]
            while true {
                if let quota = read(root + (path == "/" ? "" : path)) { quotas.append(quota) }
                guard path != "/" && !path.isEmpty, let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        return quotas.min()
    }

    /// CPUs from "QUOTA PERIOD" (cgroup v2 cpu.max; v1's two files joined), rounded up; nil for
    /// no quota ("max", or v1's -1) or what is not two positive numbers.
    package static func cpus(cpuMax: String) -> Int? {
        let fields = cpuMax.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else { return nil }
        return max(1, quota / period + (quota % period == 0 ? 0 : 1))
    }
}
