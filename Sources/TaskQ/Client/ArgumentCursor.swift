import FoundationEssentials

/// Hands out a call's arguments one by one, decoded into the types the task declares.
///
/// A positional argument wins; after the positional ones run out, a keyword
/// argument with the declared parameter name is used.
final class ArgumentCursor {
    private let call: TaskCall
    private let taskName: String
    private let parameterNames: [String]?
    private var position = 0
    private var usedKeywords = 0

    init(call: TaskCall, taskName: String, parameterNames: [String]?) {
        self.call = call
        self.taskName = taskName
        self.parameterNames = parameterNames
    }

    /// The next argument as `T`.
    func next<T: Decodable>(_ type: T.Type) throws -> T {
        defer { position += 1 }
        let label = describePosition(position)
        let value: JSONValue
        if position < call.args.count {
            value = call.args[position]
        } else if let name = parameterNames?[safe: position], let keyword = call.kwargs[name] {
            value = keyword
            usedKeywords += 1
        } else if let absent = try? JSONValue.null.decode(as: T.self) {
            return absent
        } else {
            throw ArgumentMismatch(message: "\(taskName)() missing \(label): expected \(T.self)")
        }
        do {
            return try Self.decode(value, as: T.self)
        } catch {
            throw ArgumentMismatch(message: "\(taskName)(): \(label) expected \(T.self), got \(PythonRepr.truncated(PythonRepr.of(value), limit: 80))")
        }
    }

    /// Throws when the call carried arguments the task does not take.
    func finish() throws {
        if call.args.count > position {
            throw ArgumentMismatch(message: "\(taskName)() takes \(position) positional argument\(position == 1 ? "" : "s") but \(call.args.count) were given")
        }
        let known = Set((parameterNames ?? []).prefix(position))
        if let unknown = call.kwargs.keys.sorted().first(where: { !known.contains($0) }) {
            throw ArgumentMismatch(message: "\(taskName)() got an unexpected keyword argument '\(unknown)'")
        }
    }

    private func describePosition(_ index: Int) -> String {
        if let name = parameterNames?[safe: index] { return "argument \(index + 1) (\(name))" }
        return "argument \(index + 1)"
    }

    /// Decodes one JSON value, skipping the JSON round trip for common scalar types.
    static func decode<T: Decodable>(_ value: JSONValue, as type: T.Type) throws -> T {
        switch value {
        case .int(let number):
            if let result = number as? T { return result }
            if T.self == Double.self, let result = Double(number) as? T { return result }
        case .double(let number):
            if let result = number as? T { return result }
        case .string(let text):
            if let result = text as? T { return result }
        case .bool(let flag):
            if let result = flag as? T { return result }
        default:
            break
        }
        if let result = value as? T { return result }
        return try value.decode(as: T.self)
    }
}
