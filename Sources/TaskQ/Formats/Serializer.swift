/// A body format as kombu registers one: a name, the content type and content
/// encoding written into the envelope, and the two directions between bytes and values.
///
/// `json` and `msgpack` are built in; `yaml` comes with the `TaskQYAML` module
/// (`import TaskQYAML`, then `Serializer.yaml`). Celery's `pickle` is refused
/// everywhere: unpickling runs code chosen by whoever wrote the message.
public struct Serializer: Sendable {
    /// kombu's name: `json`, `msgpack`, `yaml`.
    public let name: String
    /// The envelope's `content-type`.
    public let contentType: String
    /// The envelope's `content-encoding` (`utf-8` for text formats, `binary` otherwise).
    public let contentEncoding: String
    private let encoder: @Sendable (JSONValue) throws -> [UInt8]
    private let decoder: @Sendable ([UInt8]) throws -> JSONValue

    /// A serializer from its two directions.
    public init(name: String, contentType: String, contentEncoding: String,
                encode: @escaping @Sendable (JSONValue) throws -> [UInt8],
                decode: @escaping @Sendable ([UInt8]) throws -> JSONValue) {
        self.name = name
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.encoder = encode
        self.decoder = decode
    }

    /// `value` as this format's bytes.
    public func encode(_ value: JSONValue) throws -> [UInt8] { try encoder(value) }

    /// The value `bytes` hold in this format.
    public func decode(_ bytes: [UInt8]) throws -> JSONValue { try decoder(bytes) }

    /// JSON, Celery's default (`application/json`).
    public static let json = Serializer(name: "json", contentType: "application/json", contentEncoding: "utf-8",
                                        encode: { $0.serialized() }, decode: { try JSONValue.parse($0) })

    /// MessagePack (`application/x-msgpack`), written by TaskQ's own codec.
    public static let msgpack = Serializer(name: "msgpack", contentType: MessagePack.contentType, contentEncoding: "binary",
                                           encode: { MessagePack.encode($0) }, decode: { try MessagePack.decode($0) })

    /// The content types kombu uses for pickle, which TaskQ never reads.
    static let pickleContentTypes: Set<String> = ["application/x-python-serialize"]

    /// Whether `nameOrType` names this serializer, by kombu name or content type.
    public func matches(_ nameOrType: String) -> Bool { nameOrType == name || nameOrType == contentType }
}
