import ArgumentParser

/// A first word that names no command: said as such, with the command it was likely meant for
/// (the parser's own line, "Unexpected argument", names neither).
enum UnknownCommand {
    /// The commands a user may type, as `pipelab --help` lists them.
    static var names: [String] {
        Pipelab.configuration.subcommands.filter { $0.configuration.shouldDisplay }.compactMap { $0.configuration.commandName }
    }

    /// The message for `arguments` whose first word is no command, else nil.
    static func message(_ arguments: [String]) -> String? {
        let every = Pipelab.configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard let word = arguments.first, !word.hasPrefix("-"), !every.contains(word) else { return nil }
        let nearest = names.map { (name: $0, distance: distance(word, $0)) }.min { $0.distance < $1.distance }
        let guess = nearest.flatMap { $0.distance <= 2 ? " Did you mean '\($0.name)'?" : nil } ?? ""
        return "'\(word)' is not a command of pipelab.\(guess) Accepted: " + names.joined(separator: ", ")
    }

    /// Edits from one word to the other (insert, delete, replace, or swap two neighbours): `reprot`
    /// is one from `report`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let replace = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, replace)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
