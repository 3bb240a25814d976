import Foundation
import PipeLabKernel

/// The group identity of a sharded sweep when `--group` is not given: a name-based UUID (RFC 9562
/// version 5: SHA-1 of a namespace and a name) of the spec's canonical JSON without `jobs`, which
/// changes how fast, not what is run. The name is part of the spec, so `--name` separates groups;
/// every machine that runs the same spec under the same name derives the same UUID.
public enum GroupIdentity {
    public static func derived(from spec: SweepSpec) -> String {
        var key = spec
        key.jobs = 0
        return UUIDv5.of(name: key.json())
    }

    /// What makes two stored specs the same experiment: everything but jobs and the name.
    public static func specKey(_ storedSpec: String) -> String? {
        guard var spec = try? SpecFile.parse(Data(storedSpec.utf8), source: "stored spec").applied(to: .builtIn) else { return nil }
        (spec.jobs, spec.name) = (0, nil)
        return spec.json()
    }
}
