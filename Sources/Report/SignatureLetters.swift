import PipeLabStore
import PipeLabExperiment

/// Short names for signatures in matrices: `A` for the signature with the most runs, then `B`, …
/// (`Z1`, `Z2`, … past 26), with a legend that gives each letter's signature.
public struct SignatureLetters {
    private let order: [(signature: String, runs: Int, cells: Int)]
    private let letters: [String: String]

    public init(_ matrix: OutcomeMatrix) {
        order = matrix.signatures
        letters = Dictionary(uniqueKeysWithValues: matrix.signatures.enumerated().map { ($1.signature, Self.letter(at: $0)) })
    }

    public static func letter(at index: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return index < 26 ? String(alphabet[index]) : "Z\(index - 25)"
    }

    public func letter(_ signature: String) -> String { letters[signature] ?? "?" }

    /// Position in the legend, for sorting by it.
    public func rank(_ signature: String) -> Int { order.firstIndex { $0.signature == signature } ?? order.count }

    /// The runs a cell is shown by, most frequent first (ties in legend order): its undisturbed
    /// ones, or all of them when the machine disturbed every run (there is nothing else to show).
    public func counted(_ cell: OutcomeMatrix.Cell) -> [(signature: String, runs: Int)] {
        (cell.undisturbed.isEmpty ? cell.signatures : cell.undisturbed)
            .sorted { ($0.runs, rank($1.signature)) > ($1.runs, rank($0.signature)) }
    }

    /// The legend as a Markdown table.
    /// The legend as one Markdown paragraph (it wraps; a table would take a line per signature).
    public var legend: String {
        "Signatures, most runs first: " + order.enumerated().map { index, entry in
            "**\(Self.letter(at: index))** " + Markdown.code(entry.signature) + " (\(Plural.count(entry.runs, "run")), \(Plural.count(entry.cells, "cell")))"
        }.joined(separator: " · ") + ".\n"
    }
}
