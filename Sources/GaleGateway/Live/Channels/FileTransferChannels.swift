import GaleProtocol
import NIOCore
import Synchronization

/// The body of an `upload` channel: the client's binary stream 0 frames go into the container
/// (each delivery returns once its bytes are upstream, which paces the client), `progress`
/// frames report the bytes written, and the channel ends with `unsubscribed` "uploaded" once
/// `tar` has written the whole file — or with the error that stopped it.
struct UploadChannel: Sendable {
    let upload: FileUpload
    let progressInterval: Int

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let upload = self.upload
        // A channel closed by the client or its socket ends the exec (tar stops).
        return await withTaskCancellationHandler {
            await transfer(context)
        } onCancel: {
            Task { await upload.cancel() }
        }
    }

    private func transfer(_ context: ChannelContext) async -> ChannelEnd {
        let upload = self.upload
        let total = Int64(upload.size)
        let (ends, end) = AsyncStream.makeStream(of: APIError?.self)
        let reported = Mutex(0)
        let interval = progressInterval
        context.onInput { input in
            switch input {
            case .stdin(let bytes):
                do throws(APIError) {
                    try await upload.write(bytes)
                } catch {
                    end.yield(error)
                    return
                }
                let received = upload.bytesReceived
                if received == upload.size {
                    end.yield(nil)
                } else if reported.withLock({ last in
                    guard received - last >= interval else { return false }
                    last = received
                    return true
                }) {
                    context.send(.progress(.init(channel: context.channel, bytes: Int64(received), total: total)))
                }
            case .closeStream(0):
                end.yield(nil)  // the client has no more: finish() tells whether that was all
            case .closeStream, .resize, .resync:
                break
            }
        }
        context.send(.progress(.init(channel: context.channel, bytes: 0, total: total)))
        if upload.size > 0 {
            var iterator = ends.makeAsyncIterator()
            guard let first = await iterator.next() else {
                await upload.cancel()
                return .cancelled
            }
            if let failure = first { return .failed(failure) }
        }
        do throws(APIError) {
            try await upload.finish()
        } catch {
            return Task.isCancelled ? .cancelled : .failed(error)
        }
        context.send(.progress(.init(channel: context.channel, bytes: total, total: total, done: true)))
        return .finished(reason: "uploaded")
    }
}

/// The body of a `download` channel: a `progress` frame saying what comes (`format`, `filename`,
/// `total` for a file), the bytes as binary stream 1 frames (read from the container only as fast
/// as the socket takes them), `progress` along the way, and `unsubscribed` "downloaded".
struct DownloadChannel: Sendable {
    let download: FileDownload
    /// What the download is (``FileDownload/start()`` was called before the channel opened).
    let start: DownloadDecoder.Start
    let progressInterval: Int

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let download = self.download
        return await withTaskCancellationHandler {
            await transfer(context)
        } onCancel: {
            Task { await download.cancel() }
        }
    }

    private func transfer(_ context: ChannelContext) async -> ChannelEnd {
        let download = self.download
        do throws(APIError) {
            let total = start.size.map(Int64.init)
            context.send(.progress(.init(
                channel: context.channel, bytes: 0, total: total, format: start.format.rawValue, filename: start.filename)))
            var sent = 0
            var nextReport = progressInterval
            var stopped = false
            let bytes = try await download.stream { bytes in
                guard !Task.isCancelled, await context.binary(stream: StreamFrame.Stream.stdout.rawValue, bytes.readableBytesView)
                else {
                    stopped = true
                    return false
                }
                sent += bytes.readableBytes
                if sent >= nextReport {
                    nextReport = sent + progressInterval
                    context.send(.progress(.init(channel: context.channel, bytes: Int64(sent), total: total)))
                }
                return true
            }
            if stopped { return .cancelled }
            context.send(.progress(.init(channel: context.channel, bytes: Int64(bytes), total: total, done: true)))
            let dropped = download.dropped
            guard !dropped.isEmpty else { return .finished(reason: "downloaded") }
            return .finished(reason: "downloaded; left out: " + dropped.joined(separator: "; "))
        } catch {
            await download.cancel()
            return Task.isCancelled ? .cancelled : .failed(error)
        }
    }
}
