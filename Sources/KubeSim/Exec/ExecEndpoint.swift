import Foundation
import GaleJSON
import HTTPTypes
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// `pods/NAME/exec` and `pods/NAME/attach` over WebSocket with the kubelet's channel protocols
/// (``ChannelProtocol``: `v5.channel.k8s.io`, `v4.channel.k8s.io`, their base64 and pre-v4 variants): stdin and
/// resize arrive in text or binary messages, output goes out per stream, the exit status on stream 3, then the
/// server closes. Exec runs the command in the simulated shell; attach joins the container's main process
/// (``ContainerProcess``).
struct ExecEndpoint: Sendable {
    let api: ClusterAPI
    let gate: RequestGate
    let streams: LiveStreams
    let filesystems: FileSystems
    let activity: ExecActivity
    let logs: LogGenerator

    static var supportedProtocols: [String] { ChannelProtocol.all.map(\.name) }

    struct Request: Sendable {
        let pod: JSONValue
        let container: String
        let image: String
        let command: [String]
        /// What an attach joins; `nil` for exec, which runs ``command``.
        let attached: ContainerProcess?
        /// Whether the container is an ephemeral one (`kubectl debug`): its main process ending ends it.
        let ephemeral: Bool
        let stdin: Bool
        let tty: Bool
        let channel: ChannelProtocol
        let environment: [String: String]

        var subprotocol: String { channel.name }
        /// Whether stdin reaches the process: a server attached to drops what is typed, unread.
        var readsStdin: Bool { stdin && attached?.readsInput != false }
    }

    func shouldUpgrade(_ head: HTTPRequest) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let request = try? parse(head) else { return .dontUpgrade }
        let filesystems = self.filesystems
        let streams = self.streams
        let activity = self.activity
        let logs = self.logs
        let store = api.store
        return .upgrade([.secWebSocketProtocol: request.subprotocol]) { inbound, outbound, _ in
            let fs = filesystems.filesystem(
                podUID: ControllerManager.uid(request.pod), container: request.container,
                hostname: ControllerManager.name(request.pod), image: request.image)
            let code = try await ExecSession(request: request, fs: fs, streams: streams, activity: activity, logs: logs)
                .run(inbound: inbound, outbound: outbound)
            if request.ephemeral, case .shell = request.attached {
                EphemeralContainers.terminate(request.container, of: request.pod, exitCode: code, in: store)
            }
        }
    }

    func parse(_ head: HTTPRequest) throws -> Request {
        let stream = try PodStreamRequest(head, gate: gate, subresources: ["exec", "attach"])
        let (type, namespace, name, subresource, query) = (
            ResourceCatalog.pods, stream.namespace, stream.name, stream.subresource, stream.query
        )
        guard let channel = ChannelProtocol.negotiate(head.headerFields[.secWebSocketProtocol] ?? "") else {
            throw KubeStatusError.badRequest("no supported subprotocol")
        }
        let pod = try api.store.get(type, namespace: namespace, name: name)
        guard pod[path: ["status", "phase"]]?.stringValue == "Running" else {
            throw KubeStatusError.badRequest("pod \(name) is not running")
        }
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        let ephemeral = pod[path: ["spec", "ephemeralContainers"]]?.arrayValue ?? []
        let containerName = query["container"] ?? containers.first?["name"]?.stringValue ?? ""
        guard let container = (containers + ephemeral).first(where: { $0["name"]?.stringValue == containerName }) else {
            throw KubeStatusError.badRequest("container \(containerName) is not valid for pod \(name)")
        }
        let isEphemeral = ephemeral.contains { $0["name"]?.stringValue == containerName }
        if isEphemeral, EphemeralContainers.isTerminated(containerName, in: pod) {
            throw KubeStatusError.badRequest("container \(containerName) in pod \(name) is not running: it has terminated")
        }
        var environment: [String: String] = [:]
        for variable in container["env"]?.arrayValue ?? [] {
            if let key = variable["name"]?.stringValue { environment[key] = variable["value"]?.stringValue ?? "" }
        }
        var command = query.all("command")
        var attached: ContainerProcess?
        if subresource == "attach" {
            let process = try ContainerProcess(container: container, pod: pod, logs: logs)
            attached = process
            command = process.command
        } else if command.isEmpty {
            command = ["sh"]
        }
        return Request(
            pod: pod, container: containerName, image: container["image"]?.stringValue ?? "", command: command,
            attached: attached, ephemeral: isEphemeral, stdin: query.bool("stdin") && query["stdin"] != nil, tty: query.bool("tty") && query["tty"] != nil,
            channel: channel, environment: environment)
    }
}

/// One exec or attach connection: demultiplexes the client's streams into the process and multiplexes its output back.
struct ExecSession: Sendable {
    let request: ExecEndpoint.Request
    let fs: MemoryFileSystem
    let streams: LiveStreams
    let activity: ExecActivity
    let logs: LogGenerator

    /// Largest output payload sent in one message.
    static let maxFrameBytes = 32 << 10

    /// Largest client message read (a whole file sent to `tar x` in one write arrives as one message).
    static let maxMessageBytes = 16 << 20

    static func status(exitCode: Int, command: [String]) -> JSONValue {
        guard exitCode != 0 else { return ["metadata": .object([:]), "status": "Success"] }
        return [
            "metadata": .object([:]), "status": "Failure",
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

    /// Runs the session until the process ends and the client is gone; returns the process's exit code.
    @discardableResult
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws -> Int {
        let input = InputPipe()
        if !request.readsStdin { input.close() }
        let terminal = TerminalSize()
        let tty = request.tty
        let channel = request.channel
        let activity = self.activity
        activity.opened()
        defer { activity.closed() }
        // Set once the client is gone: endless commands (`yes`) stop then, as on SIGHUP.
        let hungUp = Mutex(false)
        let write: @Sendable (UInt8, [UInt8]) async -> Void = { stream, bytes in
            guard !bytes.isEmpty else { return }
            let payload = tty ? Self.terminalOutput(bytes) : bytes
            let target = tty && stream == ChannelProtocol.stderr ? ChannelProtocol.stdout : stream
            do {
                // At most `maxFrameBytes` a message, as the kubelet copies streams: a large
                // output (`tar c` of a big file) arrives in many frames, not one.
                var start = 0
                while start < payload.count {
                    let end = min(start + Self.maxFrameBytes, payload.count)
                    try await outbound.write(channel.encode(stream: target, Array(payload[start..<end])))
                    start = end
                }
                activity.wrote(payload.count)
            } catch {
                hungUp.withLock { $0 = true }
            }
        }
        let io = ShellIO(
            input: input, output: { await write(ChannelProtocol.stdout, $0) }, error: { await write(ChannelProtocol.stderr, $0) },
            hungUp: { hungUp.withLock { $0 } })
        let request = self.request
        let fs = self.fs
        let logs = self.logs
        let streamID = streams.register {
            hungUp.withLock { $0 = true }
            input.close()
        }
        defer { streams.unregister(streamID) }
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                let code: Int
                if let attached = request.attached, case .logWriter(let window) = attached {
                    code = await attached.followLog(window, logs: logs, io: io)
                } else {
                    let shell = Shell(
                        fs: fs, hostname: ControllerManager.name(request.pod), terminal: terminal, environment: request.environment)
                    code = await shell.exec(request.command, io: io, tty: tty)
                }
                if let status = channel.statusPayload(Self.status(exitCode: code, command: request.command)) {
                    try? await outbound.write(channel.encode(stream: ChannelProtocol.status, status))
                }
                try? await outbound.close(.normalClosure, reason: nil)
                return code
            }
            reading: for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                let bytes: [UInt8]
                switch message {
                case .binary(let buffer): bytes = Array(buffer.readableBytesView)
                case .text(let text): bytes = Array(text.utf8)
                }
                switch channel.decode(bytes) {
                case .data(ChannelProtocol.stdin, let data):
                    if request.readsStdin { input.push(data) }
                case .data(_, let data):
                    // A resize the kubelet cannot decode is dropped and the session goes on.
                    if let size = ChannelProtocol.terminalSize(data) { terminal.set(rows: size.rows, columns: size.columns) }
                case .closeStream(ChannelProtocol.stdin):
                    input.close()
                case .closeStream, .ignored:
                    continue
                case .protocolError(let reason):
                    try? await outbound.close(.protocolError, reason: reason)
                    break reading
                }
            }
            // Hang-up before end of input, so that the process sees why its input ended.
            hungUp.withLock { $0 = true }
            input.close()
            return try await group.next() ?? 0
        }
    }
}
