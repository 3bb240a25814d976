import PipeLabExperiment
import PipeLabKernel

/// The runs of the sweeps a report or a comparison covers, counted in one pass over the index
/// `runs_by_signature` (migration 12), in which they already lie in the order counted: no sort, no
/// temporary space and no memory that grows with the runs. The counts go into the TEMP table
/// `run_groups`, one row per sweep and combination of the columns below (a few hundred rows for a
/// million runs), and every per-cell query of the report reads that table instead of the runs.
/// No summary is kept in the file: the counts are made from the runs each time, so a crafted file
/// cannot make them disagree with its runs; their values are checked as read (InputCheck).
extension Store {
    /// The columns a run is counted by, in the index's order after sweep_id.
    static let groupColumns = Dimensions.columnList() + ", signature, peer_late, outcome, peer_left_unread, first_failing_send, first_errno_name, term_signal"

    /// The counts of the runs of the sweeps in the JSON list ?1, in the index's order.
    static let countQuery = """
        SELECT sweep_id, \(groupColumns), COUNT(*) AS runs, MIN(id) AS first_id
        FROM main.runs INDEXED BY runs_by_signature WHERE sweep_id IN (SELECT value FROM json_each(?1))
        GROUP BY sweep_id, \(groupColumns)
        """

    /// Fills `temp.run_groups` with the counts of the runs of `sweepIDs`: runs, and the lowest run id.
    package func countRunGroups(sweepIDs: [Int64]) throws(StoreError) {
        guard countedSweeps != sweepIDs else { return }
        countedSweeps = nil
        try db.execute("DROP TABLE IF EXISTS temp.run_groups")
        try db.prepare("CREATE TEMP TABLE run_groups AS " + Self.countQuery).bind([.text(Self.jsonList(sweepIDs))]).run()
        try checkValues(in: "run_groups", from: "runs")
        countedSweeps = sweepIDs
    }

    /// The most sweeps (a group's shards read together) whose ranges of an index are merged in
    /// order rather than sorted: each row passes every level of SQLite's merge of the arms.
    static let mergedSweeps = 16

    /// `select` (a query of the runs with `{sweep}` where it names its sweep) over `sweepIDs` in
    /// the order `orderBy`, then `limit`: one arm per sweep, each a range of an index already in
    /// that order, merged by SQLite (`MERGE (UNION ALL)`) without a sort; beyond `mergedSweeps`,
    /// one query over the sweeps in the JSON list ?1, sorted. The ids are the file's integers.
    static func inOrder(_ select: String, over sweepIDs: [Int64], orderBy: String, limit: String) -> String {
        let arms = sweepIDs.count <= mergedSweeps
            ? sweepIDs.map { select.replacingOccurrences(of: "{sweep}", with: "sweep_id = \($0)") }
            : [select.replacingOccurrences(of: "{sweep}", with: inSweeps(1))]
        return arms.joined(separator: "\nUNION ALL\n") + "\nORDER BY \(orderBy) \(limit)"
    }

    /// `sweep_id IN (…)` for the sweeps in the JSON list bound at `parameter`.
    static func inSweeps(_ parameter: Int, alias: String = "") -> String {
        "\(alias.isEmpty ? "" : alias + ".")sweep_id IN (SELECT value FROM json_each(?\(parameter)))"
    }
}
