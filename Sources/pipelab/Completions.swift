import ArgumentParser
import PipeLabExperiment
import PipeLabKernel

/// What a shell offers after an option that takes an enumerated value.
enum Completions {
    /// One value, as `run --transport` takes.
    static func value(_ dimension: ScenarioDimension) -> CompletionKind {
        .list(dimension.choices ?? [])
    }

    static func value<T: ParameterValue>(_: T.Type) -> CompletionKind {
        .list(T.allCases.map(\.rawValue))
    }

    /// A comma-separated list, as `sweep --transport` takes: each value, and all of them.
    static func list(_ dimension: ScenarioDimension) -> CompletionKind {
        let values = dimension.choices ?? []
        return .list(values + [values.joined(separator: ",")])
    }
}
