import Glibc

/// The machine a sweep ran on.
public struct HostInfo: Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var os: String
    public var arch: String
    public var cpus: Int
    /// JSON object of the socket sysctls.
    public var sysctls: String

    public init(hostname: String, kernel: String, os: String, arch: String, cpus: Int, sysctls: String) {
        self.hostname = hostname
        self.kernel = kernel
        self.os = os
        self.arch = arch
        self.cpus = cpus
        self.sysctls = sysctls
    }
}

/// The facts about this machine stored with every sweep.
public enum HostProbe {
    /// Sysctls that shape what a broken connection does: buffer sizes, reuse of ports, FIN timing.
    package static let sysctls = [
        "net.core.rmem_default", "net.core.wmem_default", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_tw_reuse", "net.ipv4.ip_local_port_range",
        "net.unix.max_dgram_qlen",
    ]

    public static func current() -> HostInfo {
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let values: [(String, JSONValue)] = sysctls.map { name in
            let path = "/proc/sys/" + name.replacingDots()
            return (name, readFile(path).map { .string(normalizeSpaces($0)) } ?? .null)
        }
        return HostInfo(
            hostname: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            kernel: release, os: osName(), arch: machine, cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            sysctls: JSONValue.object(values).text)
    }

    package static func osName() -> String {
        guard let text = readFile("/etc/os-release") else { return "Linux" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst(12)).trimmingCharacters(in: "\"")
        }
        return "Linux"
    }

    package static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    package static func normalizeSpaces(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }
}

private extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
    func trimmingCharacters(in quote: Character) -> String {
        var s = Substring(self)
        while s.first == quote { s = s.dropFirst() }
        while s.last == quote { s = s.dropLast() }
        return String(s)
    }
}
