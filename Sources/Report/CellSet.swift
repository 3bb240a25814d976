import PipeLabStore
import PipeLabExperiment

/// A set of cells written compactly, as a union of products of parameter values:
/// `tcp4, tcp6 · close · ignore, nosignal · sleep ≥ 10ms · payload 5; unix · …`. Dimensions with one value
/// in the whole sweep, and those a product covers whole, are left out; `condensed` gives the
/// smallest product that holds the set when the exact union would be long.
public struct CellSet {
    /// One product: a set of values per dimension, in DESIGN.md's parameter order.
    package struct Product: Equatable {
        package var values: [[String]]
    }

    package private(set) var products: [Product]
    private let all: [[String]]
    private let universe: [[String]]

    /// - Parameters:
    ///   - cells: the cells in the set.
    ///   - sweep: every cell of the sweep, to know each dimension's values and order.
    public init(_ cells: [Scenario], in sweep: [Scenario]) {
        let order = (0..<Self.names.count).map { dimension in uniqued(sweep.map { Self.values($0)[dimension] }) }
        all = order
        universe = uniqued(sweep.map { Self.values($0) })
        var products = uniqued(cells.map { Self.values($0) }).map { Product(values: $0.map { [$0] }) }
        // Merge the products that differ in one dimension only, a dimension at a time, until stable.
        var changed = true
        while changed {
            changed = false
            for d in (0..<Self.names.count).reversed() {
                var groups: [[[String]]: Int] = [:]
                var merged: [Product] = []
                for product in products {
                    var key = product.values
                    key[d] = []
                    if let index = groups[key] {
                        let union = Set(merged[index].values[d] + product.values[d])
                        merged[index].values[d] = order[d].filter { union.contains($0) }
                        changed = true
                    } else {
                        groups[key] = merged.count
                        merged.append(product)
                    }
                }
                products = merged
            }
        }
        self.products = products
    }

    /// Each dimension's value as its flag writes it (`tcp4`, `10ms`, `recv`).
    package static func values(_ s: Scenario) -> [String] {
        Dimensions.all.map { $0.format($0.value(of: s)) }
    }

    /// Whether a product names the dimension before its values: all but the row dimensions, whose
    /// values name themselves (`tcp4`, `close`, `ignore`), and the sleep, written as a range.
    private static let named = Dimensions.all.map { dimension in
        !Axes.rows.contains { $0.name == dimension.name } && dimension.name != Dimensions.sleep.name
    }

    package static let names = Dimensions.all.map(\.name)
    private static let sleepIndex = Dimensions.all.firstIndex { $0.name == Dimensions.sleep.name }

    /// `tcp4 · close · ignore, nosignal · sleep ≥ 10ms; …` as plain text (escape it for Markdown);
    /// `every cell` when the set is the whole sweep.
    public var text: String {
        let text = products.map(describe).joined(separator: "; ")
        return text.isEmpty ? "every cell" : text
    }

    /// The exact text where it has at most `products` parts; else the smallest product holding
    /// every cell of the set, and how many of the sweep's cells in it the set has (only the counts
    /// when that product is the whole sweep).
    package func condensed(products limit: Int = 2) -> String {
        guard products.count > limit else { return text }
        let box = Product(values: (0..<Self.names.count).map { d in
            let union = Set(products.flatMap { $0.values[d] })
            return all[d].filter { union.contains($0) }
        })
        let inBox = universe.filter { cell in cell.indices.allSatisfy { box.values[$0].contains(cell[$0]) } }.count
        let mine = products.reduce(0) { $0 + $1.values.reduce(1) { $0 * $1.count } }
        let text = describe(box)
        if mine == inBox { return text.isEmpty ? "every cell" : text }
        // A box that is the whole sweep names nothing: say how many of its cells, never "every cell".
        return text.isEmpty ? "\(mine) of the sweep's \(inBox) cells" : text + " (\(mine) of the \(inBox) cells there)"
    }

    private func describe(_ product: Product) -> String {
        (0..<Self.names.count).compactMap { d -> String? in
            guard all[d].count > 1 else { return nil }
            let values = product.values[d]
            if values.count == all[d].count { return nil }
            if d == Self.sleepIndex { return "sleep " + Self.range(values, of: all[d]) }
            return (Self.named[d] ? Self.names[d] + " " : "") + values.joined(separator: ", ")
        }.joined(separator: " · ")
    }

    /// Sleeps as `≥ 10ms` or `≤ 1ms` where they are the longest or shortest of the sweep's, else listed.
    private static func range(_ values: [String], of all: [String]) -> String {
        let sorted = all.sorted { ((try? DurationText.parse($0)) ?? 0) < ((try? DurationText.parse($1)) ?? 0) }
        let set = Set(values)
        if values.count >= 2, let first = sorted.firstIndex(where: set.contains), sorted[first...].allSatisfy(set.contains) {
            return "≥ " + sorted[first]
        }
        if values.count >= 2, let last = sorted.lastIndex(where: set.contains), sorted[...last].allSatisfy(set.contains) {
            return "≤ " + sorted[last]
        }
        return sorted.filter(set.contains).joined(separator: ", ")
    }
}
