import TaskQ
import Yams

extension Serializer {
    /// YAML (`application/x-yaml`), read and written as kombu's `yaml` serializer does with
    /// PyYAML's `safe_load` / `safe_dump`: plain YAML 1.1 scalars, no Python tags.
    ///
    /// In its own module so that apps that never send YAML do not link a YAML parser:
    /// `import TaskQYAML`, then `SendOptions(serializer: .yaml)` or `--accept-content yaml`.
    public static let yaml = Serializer(name: "yaml", contentType: "application/x-yaml", contentEncoding: "utf-8",
                                        encode: { YAMLBody.encode($0) }, decode: { try YAMLBody.decode($0) })
}

/// Conversions between YAML text and ``JSONValue``.
enum YAMLBody {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let text = (try? Yams.serialize(node: node(value))) ?? "null\n"
        return Array(text.utf8)
    }

    static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(description: "yaml: body is not UTF-8") }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Failure(description: "yaml: \(error)")
        }
        guard let root else { return .null }
        return try value(root, depth: 0)
    }

    private static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let flag): return Node(flag ? "true" : "false", Tag(.bool))
        case .int(let number): return Node(String(number), Tag(.int))
        case .double(let number): return Node(floatText(number), Tag(.float))
        case .string(let text): return .scalar(text.represented())
        case .array(let items): return Node(items.map(node))
        case .object(let members):
            return Node(members.sorted { $0.key < $1.key }.map { (.scalar($0.key.represented()), node($0.value)) })
        }
    }

    /// A float as PyYAML writes one: always with a `.` (`1.0e+300`), `.inf`, `-.inf`, `.nan`.
    private static func floatText(_ number: Double) -> String {
        if number.isNaN { return ".nan" }
        if number.isInfinite { return number < 0 ? "-.inf" : ".inf" }
        var text = "\(number)"
        if !text.contains("."), let exponent = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            text.replaceSubrange(exponent ..< exponent, with: ".0")
        }
        return text
    }

    private static func unsupported(_ node: Node) -> Failure {
        Failure(description: "yaml: tag \(node.tag) has no JSON form (only safe_dump output is read)")
    }

    private static func value(_ node: Node, depth: Int) throws -> JSONValue {
        guard depth < 512 else { throw Failure(description: "yaml: nesting deeper than 512") }
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool:
                guard let flag = node.bool else { throw Failure(description: "yaml: bad bool '\(scalar.string)'") }
                return .bool(flag)
            case .int:
                guard let number = node.int else { throw Failure(description: "yaml: int '\(scalar.string)' does not fit 64 bits") }
                return .int(number)
            case .float:
                guard let number = node.float else { throw Failure(description: "yaml: bad float '\(scalar.string)'") }
                return .double(number)
            case .str, .timestamp:
                // A timestamp stays the text it was written as: JSON bodies carry times as ISO strings.
                return .string(scalar.string)
            default:
                throw unsupported(node)
            }
        case .sequence(let sequence):
            guard node.tag.rawValue == Tag.Name.seq.rawValue else { throw unsupported(node) }
            return .array(try sequence.map { try value($0, depth: depth + 1) })
        case .mapping(let mapping):
            guard node.tag.rawValue == Tag.Name.map.rawValue else { throw unsupported(node) }
            var members: [String: JSONValue] = [:]
            for (key, member) in mapping {
                guard case .scalar(let keyScalar) = key else { throw Failure(description: "yaml: mapping key is not a scalar") }
                members[keyScalar.string] = try value(member, depth: depth + 1)
            }
            return .object(members)
        case .alias:
            throw Failure(description: "yaml: aliases are not read")
        }
    }
}
