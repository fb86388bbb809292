/// Why a protobuf request body could not be read.
///
/// Bytes that are not a valid message answer 400 Bad Request; a kind or an encoding KubeSim has no schema for
/// answers 415 Unsupported Media Type, as a real API server does for a custom resource sent as protobuf.
struct ProtobufError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable {
        case missingMagic
        case truncated
        case malformedVarint
        case invalidFieldNumber
        case unsupportedWireType(UInt64)
        case wrongWireType(field: String)
        case tooDeep(limit: Int)
        case tooManyValues(limit: Int)
        case timeOutOfRange(field: String)
        case unknownKind(apiVersion: String, kind: String)
        case unsupportedEncoding(String)
    }

    private let kind: Kind

    /// The body does not start with the `k8s\0` prefix of Kubernetes' protobuf encoding.
    static let missingMagic = ProtobufError(kind: .missingMagic)
    /// A length or a fixed-size value runs past the end of its message.
    static let truncated = ProtobufError(kind: .truncated)
    /// A varint longer than ten bytes, or cut off.
    static let malformedVarint = ProtobufError(kind: .malformedVarint)
    /// A field number of 0 or above the protobuf maximum.
    static let invalidFieldNumber = ProtobufError(kind: .invalidFieldNumber)
    /// Groups (wire types 3 and 4) and the undefined wire types 6 and 7.
    static func unsupportedWireType(_ type: UInt64) -> ProtobufError { ProtobufError(kind: .unsupportedWireType(type)) }
    /// A known field encoded with a wire type its schema does not allow.
    static func wrongWireType(field: String) -> ProtobufError { ProtobufError(kind: .wrongWireType(field: field)) }
    /// Messages nested deeper than the decoder allows.
    static func tooDeep(limit: Int) -> ProtobufError { ProtobufError(kind: .tooDeep(limit: limit)) }
    /// More fields, elements and map entries than the decoder allows in one body.
    static func tooManyValues(limit: Int) -> ProtobufError { ProtobufError(kind: .tooManyValues(limit: limit)) }
    /// A timestamp outside the years 1 to 9999.
    static func timeOutOfRange(field: String) -> ProtobufError { ProtobufError(kind: .timeOutOfRange(field: field)) }
    /// A kind KubeSim has no protobuf schema for.
    static func unknownKind(apiVersion: String, kind: String) -> ProtobufError {
        ProtobufError(kind: .unknownKind(apiVersion: apiVersion, kind: kind))
    }
    /// A `runtime.Unknown` whose `contentEncoding` is set (nothing in Kubernetes sends one).
    static func unsupportedEncoding(_ encoding: String) -> ProtobufError {
        ProtobufError(kind: .unsupportedEncoding(encoding))
    }

    var description: String {
        switch kind {
        case .missingMagic: "the body does not start with the Kubernetes protobuf prefix \"k8s\\x00\""
        case .truncated: "a length runs past the end of its message"
        case .malformedVarint: "malformed varint"
        case .invalidFieldNumber: "invalid field number"
        case .unsupportedWireType(let type): "unsupported wire type \(type)"
        case .wrongWireType(let field): "field \(field) has the wrong wire type"
        case .tooDeep(let limit): "messages nested deeper than \(limit) levels"
        case .tooManyValues(let limit): "more than \(limit) values in one body"
        case .timeOutOfRange(let field): "field \(field) is a time outside the years 1 to 9999"
        case .unknownKind(let apiVersion, let kind):
            "no protobuf schema for \(kind.isEmpty ? "an object without a kind" : "kind \(kind)")"
                + (apiVersion.isEmpty ? "" : " in \(apiVersion)")
        case .unsupportedEncoding(let encoding): "unsupported content encoding \(encoding)"
        }
    }

    /// The Status the API answers with: 415 when the body may be fine but KubeSim cannot read that kind as
    /// protobuf (the client can send it as JSON instead), 400 when the bytes are not a valid message.
    var status: KubeStatusError {
        switch kind {
        case .unknownKind, .unsupportedEncoding:
            KubeStatusError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - \(description); accepted media types "
                    + "include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
        default:
            KubeStatusError.badRequest("the object provided is unrecognized: invalid protobuf: \(description)")
        }
    }
}
