import Foundation

// Usage: EmbedMigrationsTool OUTPUT.swift NNNN_name.sql...
// Writes `let embeddedMigrations: [(file: String, sql: String)]` in file-name order.
let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrationsTool OUTPUT.swift FILE.sql...\n".utf8))
    exit(64)
}
var source = "// Generated from Migrations/*.sql by the EmbedMigrations plugin. Do not edit.\n"
source += "let embeddedMigrations: [(file: String, sql: String)] = [\n"
for path in arguments.dropFirst().sorted(by: { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }) {
    let url = URL(fileURLWithPath: path)
    let sql = try String(contentsOf: url, encoding: .utf8)
    // A raw string with enough #s that no sequence in the SQL can close it.
    var hashes = "#"
    while sql.contains("\"" + hashes) { hashes += "#" }
    source += "    (file: \"\(url.lastPathComponent)\", sql: \(hashes)\"\"\"\n\(sql)\n\"\"\"\(hashes)),\n"
}
source += "]\n"
try source.write(to: URL(fileURLWithPath: outputPath), atomically: true, encoding: .utf8)
