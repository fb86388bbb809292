import Foundation
import HTTPTypes
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// `pods/NAME/exec` over WebSocket with the Kubernetes channel protocols `v5.channel.k8s.io` and
/// `v4.channel.k8s.io`: every binary message starts with a stream byte (0 stdin, 1 stdout, 2 stderr,
/// 3 status, 4 resize, 255 close), the exit status goes out on stream 3 as a `Status` and the server closes.
struct ExecEndpoint: Sendable {
    let api: ClusterAPI
    let gate: RequestGate
    let streams: LiveStreams
    let filesystems: FileSystems
    let activity: ExecActivity

    static let supportedProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    struct Request: Sendable {
        let pod: JSONValue
        let container: String
        let image: String
        let command: [String]
        let stdin: Bool
        let tty: Bool
        let subprotocol: String
        let environment: [String: String]
    }

    func shouldUpgrade(_ head: HTTPRequest) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let request = try? parse(head) else { return .dontUpgrade }
        let filesystems = self.filesystems
        let streams = self.streams
        let activity = self.activity
        return .upgrade([.secWebSocketProtocol: request.subprotocol]) { inbound, outbound, _ in
            let fs = filesystems.filesystem(
                podUID: ControllerManager.uid(request.pod), container: request.container,
                hostname: ControllerManager.name(request.pod), image: request.image)
            try await ExecSession(request: request, fs: fs, streams: streams, activity: activity)
                .run(inbound: inbound, outbound: outbound)
        }
    }

    func parse(_ head: HTTPRequest) throws -> Request {
        let target = head.path ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1)
        // Authorized like every request (`get` on pods/exec or pods/attach for the upgrading GET); a refused one
        // is not upgraded, and the plain HTTP handler answers it with the same 401 or 403.
        _ = try gate.admit(
            method: head.method.rawValue, path: String(parts.first ?? ""),
            query: QueryParameters(parts.count > 1 ? String(parts[1]) : nil), headers: head.headerFields)
        guard let path = APIPath(String(parts.first ?? "")),
            case .resource(let type, let namespace, let name?, let subresource) = path.target,
            type == ResourceCatalog.pods, subresource == "exec" || subresource == "attach"
        else { throw KubeStatusError.badRequest("not an exec request") }
        let query = QueryParameters(parts.count > 1 ? String(parts[1]) : nil)
        let offered = (head.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            String($0).trimmingCharacters(in: " ")
        }
        guard let chosen = Self.supportedProtocols.first(where: offered.contains) else {
            throw KubeStatusError.badRequest("no supported subprotocol")
        }
        let pod = try api.store.get(type, namespace: namespace, name: name)
        guard pod[path: ["status", "phase"]]?.stringValue == "Running" else {
            throw KubeStatusError.badRequest("pod \(name) is not running")
        }
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        let containerName = query["container"] ?? containers.first?["name"]?.stringValue ?? ""
        guard let container = containers.first(where: { $0["name"]?.stringValue == containerName }) else {
            throw KubeStatusError.badRequest("container \(containerName) is not valid for pod \(name)")
        }
        var environment: [String: String] = [:]
        for variable in container["env"]?.arrayValue ?? [] {
            if let key = variable["name"]?.stringValue { environment[key] = variable["value"]?.stringValue ?? "" }
        }
        var command = query.all("command")
        if subresource == "attach" || command.isEmpty { command = ["sh"] }
        return Request(
            pod: pod, container: containerName, image: container["image"]?.stringValue ?? "", command: command,
            stdin: query.bool("stdin") && query["stdin"] != nil, tty: query.bool("tty") && query["tty"] != nil, subprotocol: chosen,
            environment: environment)
    }
}

/// One exec connection: demultiplexes the client's streams into the shell and multiplexes its output back.
struct ExecSession: Sendable {
    let request: ExecEndpoint.Request
    let fs: MemoryFileSystem
    let streams: LiveStreams
    let activity: ExecActivity

    /// Largest output payload sent in one message.
    static let maxFrameBytes = 32 << 10

    static func frame(_ stream: UInt8, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(stream)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func status(exitCode: Int, command: [String]) -> JSONValue {
        guard exitCode != 0 else { return ["metadata": .emptyObject, "status": "Success"] }
        return [
            "metadata": .emptyObject, "status": "Failure",
            "message": .string("command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(exitCode)"),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(exitCode))]]],
        ]
    }

    /// Converts bare `\n` to `\r\n` as a terminal's line discipline would.
    static func terminalOutput(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 8)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { result.append(0x0D) }
            result.append(byte)
            previous = byte
        }
        return result
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let input = InputPipe()
        if !request.stdin { input.close() }
        let terminal = TerminalSize()
        let tty = request.tty
        let activity = self.activity
        activity.opened()
        defer { activity.closed() }
        // Set once the client is gone: endless commands (`yes`) stop then, as on SIGHUP.
        let hungUp = Locked(false)
        let write: @Sendable (UInt8, [UInt8]) async -> Void = { stream, bytes in
            guard !bytes.isEmpty else { return }
            let payload = tty && stream != 3 ? Self.terminalOutput(bytes) : bytes
            let channel = tty && stream == 2 ? 1 : stream
            do {
                // At most `maxFrameBytes` a message, as the kubelet copies streams: a large
                // output (`tar c` of a big file) arrives in many frames, not one.
                var start = 0
                while start < payload.count {
                    let end = min(start + Self.maxFrameBytes, payload.count)
                    try await outbound.write(.binary(Self.frame(channel, Array(payload[start..<end]))))
                    start = end
                }
                activity.wrote(payload.count)
            } catch {
                hungUp.withLock { $0 = true }
            }
        }
        let io = ShellIO(
            input: input, output: { await write(1, $0) }, error: { await write(2, $0) },
            hungUp: { hungUp.withLock { $0 } })
        let request = self.request
        let fs = self.fs
        let streamID = streams.register {
            hungUp.withLock { $0 = true }
            input.close()
        }
        defer { streams.unregister(streamID) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let shell = Shell(fs: fs, hostname: ControllerManager.name(request.pod), terminal: terminal, environment: request.environment)
                let code = await shell.exec(request.command, io: io, tty: tty)
                let status = Self.status(exitCode: code, command: request.command).serialized()
                try? await outbound.write(.binary(Self.frame(3, Array(status.utf8))))
                try? await outbound.close(.normalClosure, reason: nil)
            }
            for try await message in inbound.messages(maxSize: 16 << 20) {
                guard case .binary(var buffer) = message, let stream: UInt8 = buffer.readInteger() else { continue }
                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                switch stream {
                case 0: input.push(bytes)
                case 4:
                    if let size = try? JSONValue.parse(bytes) {
                        terminal.set(rows: size["Height"]?.intValue ?? terminal.rows, columns: size["Width"]?.intValue ?? terminal.columns)
                    }
                case 255 where bytes.first == 0:
                    input.close()
                default: break
                }
            }
            // Hang-up before end of input, so that the shell sees why its input ended.
            hungUp.withLock { $0 = true }
            input.close()
            try await group.waitForAll()
        }
    }
}
