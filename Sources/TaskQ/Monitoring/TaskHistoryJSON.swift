/// How one task's history is stored: `taskq:task:<id>` is a string holding a JSON object of
/// ``TaskHistoryField`` names to string values.
///
/// One string per task lets a worker write a whole batch of tasks with one `MSET`, and the
/// monitor read a page with one `MGET`.
package enum TaskHistoryJSON {
    /// The JSON object of these fields; a field given more than once keeps its last value.
    package static func encode(_ fields: [(TaskHistoryField, String)]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(fields.reduce(2) { $0 + $1.1.utf8.count + 16 })
        var first = true
        for (index, (field, value)) in fields.enumerated() {
            // Later values win: skip a field that comes again (the lists are a few dozen long).
            if fields[(index + 1)...].contains(where: { $0.0 == field }) { continue }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(field.rawValue, to: &output)
            output.append(UInt8(ascii: ":"))
            JSONValue.writeString(value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// The fields of a stored record by name, or nil when the bytes are not such an object.
    package static func decode(_ bytes: [UInt8]) -> [String: String]? {
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else { return nil }
        var fields: [String: String] = [:]
        fields.reserveCapacity(object.count)
        for (name, value) in object {
            if let text = value.stringValue { fields[name] = text }
        }
        return fields
    }
}
