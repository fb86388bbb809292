import Foundation
import GaleProtocol
import KubeClient
import NIOCore
import Synchronization

/// Limits of file transfers to and from containers.
public struct FileTransferConfiguration: Sendable, Hashable {
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes: Int
    /// Largest download, in bytes sent to the client.
    public var maxDownloadBytes: Int
    /// Bytes between two `progress` frames (one is always sent at the end).
    public var progressInterval: Int

    public init(maxUploadBytes: Int = 1 << 30, maxDownloadBytes: Int = 1 << 30, progressInterval: Int = 256 << 10) {
        self.maxUploadBytes = maxUploadBytes
        self.maxDownloadBytes = maxDownloadBytes
        self.progressInterval = max(1, progressInterval)
    }
}

/// Copies files into and out of containers the way `kubectl cp` does: `tar` over exec.
///
/// An upload streams a one-member archive into `tar xmf - -C DIR` in the container; a download
/// runs `tar cf - -C DIR ./NAME` and hands over the file's bytes (a regular file) or a cleaned
/// archive (a directory, see ``ArchiveConfinement``). Both stream: nothing is held in memory
/// beyond a chunk, and both are bounded by ``FileTransferConfiguration``.
struct FileTransfers: Sendable {
    let access: ClusterAccess
    let configuration: FileTransferConfiguration

    /// Where a transfer goes.
    struct Target: Sendable, Hashable {
        var cluster: String
        var namespace: String
        var pod: String
        var container: String?
        var path: ContainerPath
    }

    /// Starts an upload of `size` bytes to `target` (role operator; the caller checks it).
    func upload(_ target: Target, size: Int, mode: Int, principal: Principal) async throws(APIError) -> FileUpload {
        guard size >= 0 else { throw .invalidArgument("size must not be negative") }
        // A ustar header holds sizes up to 8 GiB, whatever limit is configured.
        let limit = min(configuration.maxUploadBytes, TarHeader.maxSize)
        guard size <= limit else {
            throw .invalidArgument("the upload of \(size) bytes is larger than the limit of \(limit)")
        }
        guard (0...0o7777).contains(mode) else { throw .invalidArgument("mode must be between 0 and 07777") }
        let bridge = try await open(target, command: ["tar", "xmf", "-", "-C", target.path.parent], stdin: true,
                                    principal: principal)
        return FileUpload(bridge: bridge, target: target, size: size, mode: mode)
    }

    /// Starts a download of `target` (role operator; the caller checks it).
    func download(_ target: Target, principal: Principal) async throws(APIError) -> FileDownload {
        // `./NAME`: a name that starts with `-` must reach tar as a path, not as an option.
        let bridge = try await open(
            target, command: ["tar", "cf", "-", "-C", target.path.parent, "./" + target.path.name], stdin: false,
            principal: principal)
        return FileDownload(bridge: bridge, target: target, maxBytes: configuration.maxDownloadBytes)
    }

    private func open(_ target: Target, command: [String], stdin: Bool, principal: Principal) async throws(APIError)
        -> ExecBridge
    {
        let exec = ExecBridge.Target(
            namespace: target.namespace, pod: target.pod, container: target.container, command: command, tty: false,
            stdin: stdin)
        return try await ExecBridge.open(
            access: access, principal: principal, cluster: target.cluster, target: exec,
            configuration: .init(idleTimeout: nil))
    }

    /// The error for a `tar` that failed with `code`, from what it wrote on stderr.
    static func failure(code: Int, stderr: [UInt8], path: ContainerPath) -> APIError {
        let message = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = message.isEmpty ? "tar exited with code \(code)" : message
        if message.contains("No such file or directory") {
            return APIError(.resourceNotFound, "\(path): \(detail)")
        }
        if code == 126 || code == 127 || message.contains("not found") && message.contains("tar") {
            return .invalidArgument("the container has no tar, which file transfers need: \(detail)")
        }
        return .invalidArgument("\(path): \(detail)")
    }

    /// At most this much of `tar`'s stderr is kept for the error message.
    static let maxStderrBytes = 4 << 10
}

/// A running upload: feed it exactly the declared number of bytes with ``write(_:)``, then
/// ``finish()``.
final class FileUpload: Sendable {
    let target: FileTransfers.Target
    /// Bytes the client declared.
    let size: Int
    private let bridge: ExecBridge
    /// The archive's member header, sent before the first byte.
    private let header: ByteBuffer
    private let state = Mutex(Progress())
    /// `tar`'s stderr and exit, read while the upload runs so that it never blocks on output.
    private let outcome: Task<Result<Void, APIError>, Never>

    private struct Progress {
        var received = 0
        var started = false
        var sealed = false
    }

    init(bridge: ExecBridge, target: FileTransfers.Target, size: Int, mode: Int) {
        self.bridge = bridge
        self.target = target
        self.size = size
        self.header = TarHeader(
            name: target.path.name, kind: .file, size: size, mode: mode, modified: Int(Date.now.timeIntervalSince1970)
        ).encoded()
        let path = target.path
        outcome = Task {
            var stderr: [UInt8] = []
            do {
                for try await chunk in bridge.output where stderr.count < FileTransfers.maxStderrBytes {
                    stderr += chunk.bytes.prefix(FileTransfers.maxStderrBytes - stderr.count)
                }
                let status = try await bridge.exitStatus()
                if status.code == 0 { return .success(()) }
                return .failure(FileTransfers.failure(code: status.code, stderr: stderr, path: path))
            } catch let error as KubeError {
                return .failure(APIError(error, verb: .update))
            } catch {
                return .failure(APIError(.clusterUnreachable, "the upload connection failed: \(APIError.reason(of: error))"))
            }
        }
    }

    /// Bytes written so far.
    var bytesReceived: Int { state.withLock { $0.received } }

    /// Writes the next part of the file; returns once it is upstream (so a caller that awaits it
    /// reads its client only as fast as the container takes the file). After the last declared
    /// byte the archive is sealed. More bytes than declared fail with 1001.
    func write(_ bytes: ByteBuffer) async throws(APIError) {
        let step = state.withLock { state -> (first: Bool, seal: Bool)? in
            guard !state.sealed, state.received + bytes.readableBytes <= size else { return nil }
            defer { state.started = true }
            state.received += bytes.readableBytes
            state.sealed = state.received == size
            return (!state.started, state.sealed)
        }
        guard let step else {
            await bridge.close()
            throw .invalidArgument("the upload carried more than the declared \(size) bytes")
        }
        var chunk = step.first ? header : ByteBuffer()
        chunk.writeImmutableBuffer(bytes)
        if step.seal { chunk.writeImmutableBuffer(trailer) }
        do {
            if chunk.readableBytes > 0 { try await bridge.stdin(Array(chunk.readableBytesView)) }
            if step.seal { try await bridge.closeStdin() }
        } catch {
            throw await failure(or: APIError(.clusterUnreachable, "the upload connection closed"))
        }
    }

    /// Waits for `tar` to finish writing the file. Fails with 1001 when fewer bytes than declared
    /// were written, or with `tar`'s own complaint (a missing directory is 1004).
    func finish() async throws(APIError) {
        if size == 0, !state.withLock({ $0.started }) { try await write(ByteBuffer()) }
        let count = bytesReceived
        guard count == size else {
            await bridge.close()
            throw .invalidArgument("the upload ended after \(count) of \(size) bytes")
        }
        if case .failure(let error) = await outcome.value { throw error }
    }

    /// Abandons the upload (the exec ends; `tar` stops with a truncated file).
    func cancel() async {
        await bridge.close()
    }

    /// `tar`'s reason when it has stopped, else `fallback`.
    private func failure(or fallback: APIError) async -> APIError {
        if case .failure(let error) = await outcome.value { return error }
        return fallback
    }

    /// The data's padding, the two end-of-archive blocks and the rest of the last record.
    private var trailer: ByteBuffer {
        let padding = TarHeader.padding(after: size) + 2 * TarHeader.blockSize
        let total = header.readableBytes + size + padding
        var buffer = ByteBuffer()
        buffer.writeRepeatingByte(0, count: padding + (TarHeader.recordSize - total % TarHeader.recordSize) % TarHeader.recordSize)
        return buffer
    }
}
