import Foundation
import PipeLabKernel

/// The group identity of a sharded sweep when `--group` is not given: a name-based UUID (RFC 9562
/// version 5: SHA-1 of a namespace and a name) of the spec's canonical JSON without `jobs`, which
/// changes how fast, not what is run, and of the campaign when there is one. The name is part of
/// the spec, so `--name` separates groups; every machine that runs the same spec under the same
/// name in the same campaign derives the same UUID.
public enum GroupIdentity {
    public static func derived(from spec: SweepSpec, campaign: Campaign? = nil) -> String {
        var key = spec
        key.jobs = 0
        // Without a campaign, the name is the spec alone, as pipelab has always derived it.
        return UUIDv5.of(name: key.json() + (campaign.map { "\u{1}campaign\u{1}" + $0.value } ?? ""))
    }

    /// What makes two stored specs the same experiment: everything but jobs and the name.
    public static func specKey(_ storedSpec: String) -> String? {
        guard var spec = try? SpecFile.parse(Data(storedSpec.utf8), source: "stored spec").applied(to: .builtIn) else { return nil }
        (spec.jobs, spec.name) = (0, nil)
        return spec.json()
    }
}

/// One submission of a sharded sweep, as its scheduler names it: what keeps two campaigns of the
/// same spec and name apart, and what a requeued task, a retried pod or a re-run CI job shares
/// with its first attempt. PIPELAB_CAMPAIGN names one on purpose (to join a campaign from a
/// later submission, `PIPELAB_CAMPAIGN=<first job id> sbatch --array=2 …`).
public struct Campaign: Equatable, Sendable {
    /// The variable it came from, and its value.
    public var variable: String
    public var value: String

    /// In this order: PIPELAB_CAMPAIGN, a Slurm array's job id, a GitHub Actions run id; nil
    /// when none is set (shards run by hand form one group per spec and name).
    public static let variables = ["PIPELAB_CAMPAIGN", "SLURM_ARRAY_JOB_ID", "GITHUB_RUN_ID"]
    public static let maximumLength = 200

    public static func from(_ environment: [String: String]) throws(InputError) -> Campaign? {
        guard let variable = variables.first(where: { environment[$0] != nil }), let value = environment[variable] else { return nil }
        guard isShortPrintable(value) else {
            throw InputError("\(variable): '\(TerminalText.shown(String(value.prefix(40))))' is not a campaign name; accepted: 1 to \(maximumLength) printable ASCII characters without spaces")
        }
        return Campaign(variable: variable, value: value)
    }

    /// 1 to `maximumLength` printable ASCII characters without spaces: what a scheduler's id looks like.
    public static func isShortPrintable(_ value: String) -> Bool {
        (1...maximumLength).contains(value.count) && value.allSatisfy { $0.asciiValue.map { (0x21..<0x7f).contains($0) } == true }
    }
}
