import CSQLite
import Glibc
import PipeLabExperiment
import PipeLabKernel

/// Reading a row by its columns' names, and decoding a cell from it through the dimension table:
/// a value that does not decode is an error naming the column and the value, never a default.
extension Row {
    /// The position of the column called `name` in the result, or -1 (which SQLite reads as NULL).
    package func index(_ name: String) -> Int32 {
        let count = sqlite3_column_count(statement)
        for column in 0..<count {
            if let columnName = sqlite3_column_name(statement, column), strcmp(columnName, name) == 0 { return column }
        }
        return -1
    }

    package func int(_ name: String) -> Int64 { int(index(name)) }
    package func optionalInt(_ name: String) -> Int64? { optionalInt(index(name)) }
    package func text(_ name: String) -> String { text(index(name)) }
    package func optionalText(_ name: String) -> String? { optionalText(index(name)) }

    /// The column's value as SQLite holds it; nil for NULL or a column the result lacks.
    package func stored(_ name: String) -> StoredValue? {
        let column = index(name)
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(int(column))
        case SQLITE_FLOAT: return .real(double(column))
        case SQLITE_TEXT: return .text(text(column))
        default: return nil
        }
    }

    /// An enumerated column (outcome, probe, …) decoded, or an error naming the column and value.
    package func decoded<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws(StoreError) -> T where T.RawValue == String {
        guard let stored = stored(name), case .text(let text) = stored, let value = T(rawValue: text) else {
            throw Store.undecodable(column: name, stored(name))
        }
        return value
    }

    /// The cell of the row: the columns of `dimensions` (every one by default), read by name; the
    /// others keep the classic case's values.
    package func scenario(_ dimensions: [ScenarioDimension] = Dimensions.all) throws(StoreError) -> Scenario {
        var scenario = Scenario.classic
        for dimension in dimensions {
            let stored = stored(dimension.column)
            guard let value = stored.flatMap(dimension.load) else { throw Store.undecodable(column: dimension.column, stored) }
            dimension.set(value, in: &scenario)
        }
        return scenario
    }
}

extension Statement {
    /// Binds the columns of `dimensions` (every one by default), in the table's order, from position
    /// `first`; returns the next position.
    @discardableResult
    package func bindCell(_ scenario: Scenario, _ dimensions: [ScenarioDimension] = Dimensions.all, from first: Int32) -> Int32 {
        var position = first
        for dimension in dimensions {
            switch dimension.stored(dimension.value(of: scenario)) {
            case .text(let text): bind(position, constant: text)
            case .integer(let number): bind(position, number)
            case .real(let number): bind(position, number)
            }
            position += 1
        }
        return position
    }
}

extension Store {
    package static func undecodable(column: String, _ value: StoredValue?) -> StoreError {
        StoreError(.notADatabase, "column \(column) holds \(value.map(\.description) ?? "NULL"), which pipelab cannot read: the database was changed by another program or is damaged")
    }

    /// `a.transport = b.transport AND …`: two rows in the same cell.
    package static func sameCell(_ a: String, _ b: String) -> String {
        Dimensions.all.map { "\(a).\($0.column) = \(b).\($0.column)" }.joined(separator: " AND ")
    }

    /// `transport = ? AND …`: the cell's columns, to bind with `Statement.bindCell`.
    package static let cellEquals = Dimensions.all.map { "\($0.column) = ?" }.joined(separator: " AND ")
}
