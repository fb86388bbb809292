import GaleJSON
import Hummingbird
import NIOCore

extension APIHandler {
    /// A protobuf request body (`application/vnd.kubernetes.protobuf`) as the JSON KubeSim stores.
    ///
    /// At most `KubeProtobuf.maxBodySize` bytes are read (413 above it); bytes that are not a valid message get 400
    /// and kinds without a schema 415, each as a Status.
    /// - Parameter addressed: the resource of the request, for an envelope that names no kind.
    func readProtobuf(_ request: Request, addressed: ResourceType? = nil) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: KubeProtobuf.maxBodySize)
        } catch is NIOTooManyBytesError {
            throw KubeStatusError(
                code: 413, reason: "RequestEntityTooLarge",
                message: "Request entity too large: limit is \(KubeProtobuf.maxBodySize)")
        }
        do {
            return try KubeProtobuf.decode(
                Array(buffer.readableBytesView)[...], fallback: addressed.map { ($0.apiVersion, $0.kind) })
        } catch {
            throw error.status
        }
    }
}
