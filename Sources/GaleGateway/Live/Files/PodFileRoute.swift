import GaleJSON
import GaleProtocol
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// File transfer over HTTP, beside the seed's pod operations:
///
/// - `PUT /pods/{name}/files?cluster_id=&namespace=&path=[&container=][&mode=0755]` writes the
///   request body (its `Content-Length` is the file's size) to `path` in the container, and
///   answers the usual envelope with `{path, size}`.
/// - `GET /pods/{name}/files?cluster_id=&namespace=&path=[&container=]` answers the file's bytes
///   (`application/octet-stream`, with `Content-Length`), or for a directory a tar archive of it
///   (`application/x-tar`), as an attachment.
///
/// Both need role operator, like exec. Anything refused before the first byte is the JSON
/// envelope with its code; a download that fails midway is cut off (the body does not end
/// cleanly), so a client never takes a partial file for a whole one.
struct PodFileRoute: Sendable {
    let transfers: FileTransfers
    let channels: LiveChannels
    let errorStatus: ErrorHTTPStatus

    /// The response when the request is a file transfer; `nil` for any other request.
    func response(_ request: Request, path: String, query: [String: String], principal: Principal, logger: Logger)
        async -> Response?
    {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "pods", parts[2] == "files",
            request.method == .get || request.method == .put
        else { return nil }
        let input = OperationInput(
            principal: principal, pathParameters: ["name": String(parts[1])], query: query, body: nil, logger: logger)
        do throws(APIError) {
            let target = try await self.target(input)
            if request.method == .put {
                return try await upload(request, to: target, input: input)
            }
            return try await download(target, principal: principal)
        } catch {
            return APIResponder.response(Envelope(error), errorStatus: errorStatus)
        }
    }

    private func target(_ input: OperationInput) async throws(APIError) -> FileTransfers.Target {
        try input.principal.requireRole(.operator, for: "transfer files to and from containers")
        guard let cluster = try input.optionalString("cluster_id") else {
            throw .invalidArgument("missing parameter \"cluster_id\"")
        }
        let namespace = try SpecialOperations.namespace(input)
        let pod = try input.string("name")
        let container = try input.optionalString("container").flatMap { $0.isEmpty ? nil : $0 }
        let path = try ContainerPath(try input.string("path"))
        try await channels.requireRunningContainer(
            cluster: cluster, namespace: namespace, pod: pod, container: container, principal: input.principal)
        return FileTransfers.Target(cluster: cluster, namespace: namespace, pod: pod, container: container, path: path)
    }

    private func upload(_ request: Request, to target: FileTransfers.Target, input: OperationInput) async throws(APIError)
        -> Response
    {
        guard let length = request.headers[.contentLength].flatMap({ Int($0) }) else {
            throw .invalidArgument("an upload needs a Content-Length: the size of the file")
        }
        var mode = 0o644
        if let text = try input.optionalString("mode") {
            guard let value = Int(text, radix: 8), (0...0o7777).contains(value) else {
                throw .invalidArgument("parameter \"mode\" must be octal permission bits such as 0644")
            }
            mode = value
        }
        let upload = try await transfers.upload(target, size: length, mode: mode, principal: input.principal)
        do {
            for try await buffer in request.body {
                try await upload.write(buffer)
            }
        } catch let error as APIError {
            await upload.cancel()
            throw error
        } catch {
            await upload.cancel()
            throw .invalidArgument("the upload body broke off after \(upload.bytesReceived) bytes")
        }
        try await upload.finish()
        return APIResponder.response(
            Envelope(data: ["path": .string(target.path.description), "size": .int(Int64(length))]),
            errorStatus: errorStatus)
    }

    private func download(_ target: FileTransfers.Target, principal: Principal) async throws(APIError) -> Response {
        let download = try await transfers.download(target, principal: principal)
        let start = try await download.start()
        var headers: HTTPFields = [
            .contentType: start.format == .file ? "application/octet-stream" : "application/x-tar",
            .contentDisposition: Self.attachment(start.filename),
        ]
        if let size = start.size { headers[.contentLength] = String(size) }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var failure: APIError?
                do throws(APIError) {
                    try await download.stream { bytes in
                        do {
                            try await writer.write(bytes)
                            return true
                        } catch {
                            return false
                        }
                    }
                } catch {
                    failure = error
                }
                if let failure { throw failure }
                try await writer.finish(nil)
            })
    }

    /// `attachment; filename="…"` with the RFC 6266 `filename*` form for names that are not plain ASCII.
    static func attachment(_ filename: String) -> String {
        let plain = filename.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
        if plain { return "attachment; filename=\"\(filename)\"" }
        let fallback = String(filename.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        var encoded = ""
        for byte in filename.utf8 {
            let character = Character(UnicodeScalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "!#$&+-.^_`|~".contains(character) {
                encoded.append(character)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
