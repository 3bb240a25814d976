import Foundation
@testable import PipeLabStore
import Testing

/// A row whose cell does not decode stops the command with the column and the value, or the
/// rule it breaks (exit 65); it is never read as some default scenario.
@Suite struct RowDecodingTests {
    @Test(arguments: [
        ("UPDATE runs SET sleep_ns = 100000000000000 WHERE repeat_index = 0;", "column sleep_ns holds 100000000000000"),
        ("PRAGMA ignore_check_constraints = ON; UPDATE runs SET transport = 'tcp9';", "column transport holds 'tcp9'"),
        ("UPDATE runs SET loss_percent = 0.333;", "column loss_percent holds 0.333"),
        ("UPDATE runs SET outcome = 'harness-error'; PRAGMA ignore_check_constraints = ON; UPDATE runs SET probe = 'telepathy';",
         "column probe holds 'telepathy'"),
    ])
    func anUndecodableCellIsAnErrorNamingColumnAndValue(change: String, message: String) throws {
        let directory = try temporaryDirectory()
        let sweep = try CLI.run(["sweep", "--transport", "unix", "--peer", "close", "--sigpipe", "ignore", "--sleep", "0",
                                 "--repeat", "2", "--quiet"], in: directory)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let database = directory.appendingPathComponent("pipelab.sqlite")
        #expect(try CLIShell.sqlite3(database.path, change + " UPDATE sweeps SET status = 'interrupted';").status == 0)
        for command in [["report"], ["sweep", "--resume", "1", "--quiet"]] {
            let output = try CLI.run(command, in: directory)
            #expect(output.status == 65, "\(command): \(output.stderr)")
            // A reader checks the documented ranges and the tables' CHECK constraints first
            // (InputCheck), and names the rule instead.
            let column = message.split(separator: " ")[1]
            let named = output.stderr.contains(message) || (command == ["report"] && (output.stderr.contains("breaks the rule: \(column) is")
                                                                                      || output.stderr.contains("breaks the rule: CHECK (\(column) IN (")))
            #expect(named, "\(command): \(output.stderr)")
        }
    }
}
