/// The schema of one protobuf message: which JSON member each field number becomes.
///
/// Schemas follow the `generated.proto` files of `k8s.io/api` and `k8s.io/apimachinery`; fields a schema does not
/// name are skipped. Schemas never refer to themselves, so the nesting of a decoded body is bounded by its schema.
struct ProtobufMessage: Sendable {
    let fields: [Int: ProtobufField]

    init(_ fields: [Int: ProtobufField]) {
        self.fields = fields
    }
}

/// One field of a `ProtobufMessage`.
struct ProtobufField: Sendable {
    /// How a field's wire value becomes JSON.
    indirect enum Kind: Sendable {
        case string
        /// Bytes, written in JSON as base64 (`Secret.data`).
        case bytes
        case int32
        case int64
        case bool
        case message(ProtobufMessage)
        /// An embedded Go struct whose members JSON writes into the parent (`IngressRule.ingressRuleValue`).
        case inline(ProtobufMessage)
        /// `map<string, V>`: repeated entries `{1: key, 2: value}`, a JSON object.
        case map(Kind)
        /// A message `{repeated string items = 1}` that JSON writes as an array of strings (`ExtraValue`).
        case stringList
        /// `intstr.IntOrString` `{1: type, 2: intVal, 3: strVal}`: a JSON number or string.
        case intOrString
        /// `resource.Quantity` `{1: string}`: a JSON string.
        case quantity
        /// `metav1.Time` `{1: seconds, 2: nanos}`: an RFC 3339 string; an empty message is the zero time and is left out.
        case time
    }

    let name: String
    let kind: Kind
    let repeated: Bool
    /// A pointer field in Go: sent only when set, so a zero value is kept. Other scalar fields are always sent and
    /// their zero value is left out, as `omitempty` leaves it out of JSON.
    let keepsZero: Bool

    init(_ name: String, _ kind: Kind, repeated: Bool = false, keepsZero: Bool = false) {
        self.name = name
        self.kind = kind
        self.repeated = repeated
        self.keepsZero = keepsZero
    }

    static func string(_ name: String) -> Self { Self(name, .string) }
    static func strings(_ name: String) -> Self { Self(name, .string, repeated: true) }
    static func optionalString(_ name: String) -> Self { Self(name, .string, keepsZero: true) }
    static func int32(_ name: String, optional: Bool = false) -> Self { Self(name, .int32, keepsZero: optional) }
    static func int64(_ name: String, optional: Bool = false) -> Self { Self(name, .int64, keepsZero: optional) }
    static func bool(_ name: String, optional: Bool = false) -> Self { Self(name, .bool, keepsZero: optional) }
    static func message(_ name: String, _ message: ProtobufMessage) -> Self { Self(name, .message(message)) }
    static func messages(_ name: String, _ message: ProtobufMessage) -> Self {
        Self(name, .message(message), repeated: true)
    }
    static func inline(_ message: ProtobufMessage) -> Self { Self("", .inline(message)) }
    static func stringMap(_ name: String) -> Self { Self(name, .map(.string)) }
    static func quantityMap(_ name: String) -> Self { Self(name, .map(.quantity)) }
    static func time(_ name: String) -> Self { Self(name, .time) }
    static func intOrString(_ name: String) -> Self { Self(name, .intOrString) }
}
