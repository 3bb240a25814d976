/// The distinct values in the order they first appear: axis values, legend entries and cell
/// orders read in the order a sweep ran or declared them, not sorted.
package func uniqued<T: Hashable>(_ values: [T]) -> [T] {
    var seen = Set<T>()
    return values.filter { seen.insert($0).inserted }
}
