import FoundationEssentials

/// Something that can be one argument of a Redis command.
package protocol RedisArgument: Sendable {
    /// The argument's bytes as Redis receives them.
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    package var redisBytes: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgument {
    package var redisBytes: [UInt8] { Array(utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    package var redisBytes: [UInt8] { self }
}

extension Int: RedisArgument {
    package var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgument {
    package var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Data: RedisArgument {
    package var redisBytes: [UInt8] { Array(self) }
}

/// A Redis command as a list of binary-safe arguments.
package struct RedisCommand: Sendable {
    /// The arguments, the command name first.
    package var arguments: [[UInt8]]

    /// Builds a command from its name and arguments.
    package init(_ name: String, _ arguments: any RedisArgument...) {
        self.arguments = [Array(name.utf8)] + arguments.map(\.redisBytes)
    }

    /// Builds a command from its name and a list of arguments.
    package init(_ name: String, arguments: [any RedisArgument]) {
        self.arguments = [Array(name.utf8)] + arguments.map(\.redisBytes)
    }

    /// The command name, for error messages.
    package var name: String {
        arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
