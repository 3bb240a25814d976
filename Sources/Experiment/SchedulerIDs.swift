import PipeLabKernel

/// The ids a scheduler gives the task that starts or continues a sweep, kept in `sweeps.scheduler`
/// (schema 14) as a JSON array with one object per attempt of the variables that were set, so a
/// shard's row says which job, array task, pod or CI run recorded it, and which requeue or retry
/// continued it. A value that is not short printable ASCII is left out, never refused: ids describe
/// the sweep, they do not change what it runs.
public enum SchedulerIDs {
    public static let variables = [
        "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_STEP_ID", "SLURM_RESTART_COUNT",
        "JOB_COMPLETION_INDEX", "POD_NAME",
        "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_JOB",
        "PIPELAB_CAMPAIGN",
    ]

    /// The JSON object, or nil when no variable is set.
    public static func json(_ environment: [String: String]) -> String? {
        let members = variables.compactMap { name -> (String, JSONValue)? in
            guard let value = environment[name], Campaign.isShortPrintable(value) else { return nil }
            return (name, .string(value))
        }
        return members.isEmpty ? nil : JSONValue.object(members).text
    }

    /// One attempt's entry in the column: its object, `{}` when no variable was set.
    public static func attempt(_ environment: [String: String]) -> String { json(environment) ?? "{}" }
}
