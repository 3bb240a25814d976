import ArgumentParser
import PipeLabExperiment
import PipeLabKernel
import PipeLabReport

/// What a shell offers after an option that takes an enumerated parameter.
enum Completions {
    /// One value, as `run --transport` takes.
    static func value<T: ParameterValue>(_: T.Type) -> CompletionKind {
        .list(T.allCases.map(\.rawValue))
    }

    /// A comma-separated list, as `sweep --transport` takes: each value, and all of them.
    static func list<T: ParameterValue>(_: T.Type) -> CompletionKind {
        let values = T.allCases.map(\.rawValue)
        return .list(values + [values.joined(separator: ",")])
    }
}
