import PipeLabStore
import PipeLabExperiment

/// A set of cells written compactly, as a union of products of parameter values:
/// `tcp4, tcp6 · close · ignore, nosignal · 10ms, 1s · 5 B · recv; unix · …`. Dimensions with one value
/// in the whole sweep are left out, and a dimension covering every value of the sweep reads "any".
public struct CellSet {
    /// One product: a set of values per dimension, in DESIGN.md's parameter order.
    package struct Product: Equatable {
        package var values: [[String]]
    }

    private var products: [Product]
    private let all: [[String]]

    /// - Parameters:
    ///   - cells: the cells in the set.
    ///   - sweep: every cell of the sweep, to know each dimension's values and order.
    public init(_ cells: [Scenario], in sweep: [Scenario]) {
        let order = (0..<Self.names.count).map { dimension in uniqued(sweep.map { Self.values($0)[dimension] }) }
        all = order
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

    package static func values(_ s: Scenario) -> [String] {
        [s.transport.rawValue, s.peer.rawValue, s.sigpipe.rawValue, DurationText.format(s.sleepNs),
         "×\(s.sends)", SizeText.label(s.payloadBytes), "probe " + s.probe.rawValue,
         "interval " + DurationText.format(s.intervalNs), "rtt " + DurationText.format(s.rttNs), "loss " + LossText.format(s.lossBasisPoints)]
    }

    package static let names = ["transport", "peer", "sigpipe", "sleep", "sends", "payload", "probe", "interval", "rtt", "loss"]

    /// `tcp4 · close · ignore, nosignal · sleep 10ms, 1s; …` as plain text (escape it for Markdown).
    public var text: String {
        products.map { product in
            (0..<Self.names.count).compactMap { d -> String? in
                guard all[d].count > 1 else { return nil }
                let values = product.values[d]
                if values.count == all[d].count { return "any \(Self.names[d])" }
                let list = values.joined(separator: ", ")
                return d == 3 ? "sleep " + list : list
            }.joined(separator: " · ")
        }.joined(separator: "; ")
    }
}
