import GaleProtocol
import KubeClient
import NIOCore

/// Turns the output of `tar cf - -C DIR ./NAME` into what the client receives: the bytes of a
/// regular file, or for a directory an archive holding only members confined to it.
struct DownloadDecoder {
    /// What the download turned out to be; known once the first member arrived.
    struct Start: Sendable, Hashable {
        enum Format: String, Sendable { case file, archive }
        var format: Format
        /// The file's size (a regular file only).
        var size: Int?
        /// The name to save it under: the file's, or the directory's with `.tar`.
        var filename: String
    }

    private(set) var start: Start?
    /// Bytes handed to the client so far.
    private(set) var sent = 0
    /// Members left out of an archive, with the reason (the first few).
    private(set) var dropped: [String] = []
    private var reader = TarReader()
    private let confinement: ArchiveConfinement
    private let maxBytes: Int
    /// Whether the data of the current member goes to the client.
    private var passing = false
    /// Data bytes of the current member.
    private var memberSize = 0
    private var fileComplete = false

    init(name: String, maxBytes: Int) {
        confinement = ArchiveConfinement(root: name)
        self.maxBytes = maxBytes
    }

    /// The client's bytes for the next piece of `tar` output (possibly none).
    mutating func consume(_ piece: ByteBuffer) throws(APIError) -> ByteBuffer {
        let events: [TarReader.Event]
        do {
            events = try reader.feed(piece)
        } catch {
            throw APIError(.internalError, "the container sent a malformed archive: \(error.message)")
        }
        var output = ByteBuffer()
        for event in events {
            switch (start?.format, event) {
            case (nil, .member(let header)):
                try begin(header, output: &output)
            case (nil, _):
                continue
            case (.file, .data(let bytes)) where !fileComplete:
                output.writeImmutableBuffer(bytes)
            case (.file, .memberEnd):
                fileComplete = true
            case (.file, _):
                continue
            case (.archive, .member(let header)):
                member(header, output: &output)
            case (.archive, .data(let bytes)):
                if passing { output.writeImmutableBuffer(bytes) }
            case (.archive, .memberEnd):
                if passing { output.writeRepeatingByte(0, count: TarHeader.padding(after: memberSize)) }
                passing = false
            case (.archive, .end):
                output.writeRepeatingByte(0, count: 2 * TarHeader.blockSize)
            }
        }
        sent += output.readableBytes
        guard sent <= maxBytes else {
            throw .invalidArgument("the download is larger than the limit of \(maxBytes) bytes")
        }
        return output
    }

    /// Checks that the archive was complete when `tar` ended.
    func finish() throws(APIError) {
        guard start != nil else { throw APIError(.internalError, "tar in the container sent no archive") }
        guard reader.isEnded || fileComplete else {
            throw APIError(.internalError, "the container's archive ended early")
        }
    }

    private mutating func begin(_ header: TarHeader, output: inout ByteBuffer) throws(APIError) {
        let root = confinement.root
        guard ArchiveConfinement.relative(header.name) == root else {
            throw APIError(.internalError, "the container's archive starts with \(header.name), not \(root)")
        }
        switch header.kind {
        case .file:
            guard header.size <= maxBytes else {
                throw .invalidArgument("the file has \(header.size) bytes, more than the limit of \(maxBytes)")
            }
            start = Start(format: .file, size: header.size, filename: root)
            fileComplete = header.size == 0
        case .directory:
            start = Start(format: .archive, size: nil, filename: root + ".tar")
            member(header, output: &output)
        case .symlink:
            throw .invalidArgument("\(root) is a symbolic link to \(header.linkTarget); download its target instead")
        default:
            throw .invalidArgument("\(root) is neither a regular file nor a directory")
        }
    }

    private mutating func member(_ header: TarHeader, output: inout ByteBuffer) {
        switch confinement.check(name: header.name, kind: header.kind, linkTarget: header.linkTarget) {
        case .keep(let name):
            var kept = header
            kept.name = name
            if case .hardlink = header.kind { kept.linkTarget = ArchiveConfinement.relative(header.linkTarget) ?? "" }
            output.writeImmutableBuffer(kept.encoded())
            passing = true
            memberSize = header.size
        case .drop(let reason):
            if dropped.count < 16 { dropped.append(reason) }
            passing = false
        }
    }
}

/// A running download: ``start()`` reads until it is known what the path is (a file, or a
/// directory sent as an archive), then ``stream(to:)`` hands over the rest.
///
/// Backpressure reaches the container: the next piece of `tar` output is read only after the
/// sink returned for the previous one.
///
/// Used by one task at a time — the one that starts it, then the one that streams it (an HTTP
/// response body runs in a task of its own) — so the iterator over the exec output moves from
/// one to the other but is never shared; ``cancel()`` touches only the exec.
final class FileDownload: @unchecked Sendable {
    let target: FileTransfers.Target
    private let bridge: ExecBridge
    private var decoder: DownloadDecoder
    private var output: ExecOutputStream.AsyncIterator
    private var stderr: [UInt8] = []
    /// Bytes produced while finding the start, not yet handed over.
    private var ready = ByteBuffer()

    init(bridge: ExecBridge, target: FileTransfers.Target, maxBytes: Int) {
        self.bridge = bridge
        self.target = target
        self.decoder = DownloadDecoder(name: target.path.name, maxBytes: maxBytes)
        self.output = bridge.output.makeAsyncIterator()
    }

    /// Reads until the first member of the archive tells what is downloaded. Fails with `tar`'s
    /// complaint (a missing path is 1004) or 1001 for a path that is neither file nor directory;
    /// the exec is closed then.
    func start() async throws(APIError) -> DownloadDecoder.Start {
        do throws(APIError) {
            while decoder.start == nil {
                guard let bytes = try await nextOutput() else {
                    throw try await exitFailure() ?? APIError(.internalError, "tar in the container sent no archive")
                }
                ready.writeImmutableBuffer(bytes)
            }
            return decoder.start!
        } catch {
            await bridge.close()
            throw error
        }
    }

    /// Hands the bytes to `sink` until the end, then checks that `tar` succeeded. `sink` returns
    /// `false` when the client went away: the exec is closed. Returns the bytes handed over.
    @discardableResult
    func stream(to sink: (ByteBuffer) async -> Bool) async throws(APIError) -> Int {
        if decoder.start == nil { _ = try await start() }
        if ready.readableBytes > 0 {
            guard await sink(ready) else { return await cancelled() }
            ready.clear()
        }
        while let bytes = try await nextOutput() {
            if bytes.readableBytes > 0, !(await sink(bytes)) { return await cancelled() }
        }
        if let failure = try await exitFailure() { throw failure }
        try decoder.finish()
        return decoder.sent
    }

    /// Abandons the download (the exec ends).
    func cancel() async {
        await bridge.close()
    }

    /// Members left out of a directory's archive because they led outside it.
    var dropped: [String] { decoder.dropped }

    /// The client's bytes of the next piece of stdout; `nil` at the end of the output.
    private func nextOutput() async throws(APIError) -> ByteBuffer? {
        while true {
            let chunk: ExecSession.Output?
            do {
                chunk = try await output.next()
            } catch let error as KubeError {
                throw APIError(error, verb: .read)
            } catch {
                throw APIError(.clusterUnreachable, "the download connection failed: \(APIError.reason(of: error))")
            }
            guard let chunk else { return nil }
            if chunk.stream == .stderr {
                stderr += chunk.bytes.prefix(FileTransfers.maxStderrBytes - stderr.count)
                continue
            }
            do throws(APIError) {
                return try decoder.consume(ByteBuffer(bytes: chunk.bytes))
            } catch {
                await bridge.close()
                throw error
            }
        }
    }

    /// Why `tar` failed; `nil` when it succeeded.
    private func exitFailure() async throws(APIError) -> APIError? {
        let status: ExecExitStatus
        do {
            status = try await bridge.exitStatus()
        } catch let error as KubeError {
            throw APIError(error, verb: .read)
        } catch {
            throw APIError(.clusterUnreachable, "the download connection failed: \(APIError.reason(of: error))")
        }
        guard status.code != 0 else { return nil }
        return FileTransfers.failure(code: status.code, stderr: stderr, path: target.path)
    }

    private func cancelled() async -> Int {
        await bridge.close()
        return decoder.sent
    }
}
