import Foundation

/// Reads a sweep spec file: a JSON object whose keys are the flag names (see SweepSpec.keys).
/// The dimensions take a list or a single value; strings as on the command line, numbers
/// where a number is natural (`"sends": [1, 3]`, `"sleep": [0, "1ms"]`).
public enum SpecFile {
    /// A spec is a few lines; the cap keeps `--spec /dev/zero` from reading without end.
    package static let maximumBytes = 1 << 20

    public static func read(path: String) throws(InputError) -> SpecOverrides {
        let accepted = "accepted: a readable JSON file of at most 1 MiB"
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            throw InputError("--spec: cannot read '\(path)'; \(accepted)")
        }
        guard data.count <= maximumBytes else { throw InputError("--spec: '\(path)' holds more than 1 MiB; \(accepted)") }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws(InputError) -> SpecOverrides {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError("\(source): not valid JSON; accepted: a JSON object such as {\"transport\": [\"tcp4\", \"unix\"]}")
        }
        guard let members = object as? [String: Any] else {
            throw InputError("\(source): the top level must be a JSON object with keys \(SweepSpec.keys.joined(separator: ", "))")
        }
        var overrides = SpecOverrides()
        for key in members.keys.sorted() {
            let label = "\(source): key '\(key)'"
            guard SweepSpec.keys.contains(key) else {
                throw InputError("\(label) is unknown; accepted: the keys \(SweepSpec.keys.joined(separator: ", "))")
            }
            try overrides.set(key, try text(of: members[key] as Any, key: key, label: label), label: label)
        }
        return overrides
    }

    /// The keys whose value may be a list: the dimensions, probe-sleep and link-sleep.
    package static let listKeys = Set(Dimensions.all.map(\.specKey) + ["probe-sleep", "link-sleep"])

    /// The JSON value as the text a flag would carry.
    package static func text(of value: Any, key: String, label: String) throws(InputError) -> String {
        // A command line is one value, commas and all.
        if key == "client-cmd", let command = value as? String { return command }
        if let list = value as? [Any], listKeys.contains(key) {
            guard !list.isEmpty else { throw InputError("\(label): the list is empty; accepted: at least one value") }
            var items: [String] = []
            for item in list { items.append(try scalar(item, label: label)) }
            return items.joined(separator: ",")
        }
        return try scalar(value, label: label)
    }

    /// Objective-C type codes of NSNumber's integer representations.
    package static let integerTypes: Set<String> = ["s", "i", "l", "q", "C", "S", "I", "L", "Q"]

    package static func scalar(_ value: Any, label: String) throws(InputError) -> String {
        if let string = value as? String {
            guard !string.contains(",") else { throw InputError("\(label): '\(string)' holds a comma; accepted: one value per list item") }
            return string
        }
        // JSON booleans also bridge to NSNumber (with objCType "c"); they are never a valid value here.
        if let number = value as? NSNumber, String(cString: number.objCType) != "c" {
            // Integers keep their exact digits (a seed may need all 64 bits); a number that was read
            // as a double is taken only while a double holds it exactly (up to 2^53).
            if integerTypes.contains(String(cString: number.objCType)) || number is NSDecimalNumber {
                return number.stringValue
            }
            if let whole = Int64(exactly: number.doubleValue), whole.magnitude <= 1 << 53 {
                return String(whole)
            }
        }
        throw InputError("\(label): wrong type; accepted: a string, a whole number, or (for the dimensions) a list of them")
    }
}
