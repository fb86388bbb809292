import Foundation
import GaleProtocol
import KubeClient

extension ContainerLogFollower {
    private static let pods = ResourceCatalog.standard.resource(named: "pods")!

    /// One connection: asks for the log (from the last line's time when resuming), and delivers
    /// its new lines until it ends, breaks or the reader goes away.
    func read(_ progress: inout Progress, into output: LogMerger.Input, onConnected: () -> Void) async -> ConnectionEnd
    {
        var options = LogOptions(
            container: target.container, follow: progress.follow, timestamps: true, previous: request.previous)
        if progress.cursor.last == nil {
            options.tailLines = request.tailLines
            options.sinceTime = request.sinceTime
            options.sinceSeconds = request.sinceSeconds
        } else {
            options.sinceTime = progress.cursor.resumeTime
            progress.cursor.beginResumption()
        }
        let stream: LogStream
        do {
            let client = try await connect()
            stream = try await client.logs(namespace: target.namespace, pod: target.pod, options: options)
        } catch {
            // Whatever the outcome, this log's backlog is not worth waiting for any longer.
            output.connected()
            return Task.isCancelled ? .stopped : .failed(error)
        }
        output.connected()
        onConnected()
        var splitter = LogLineSplitter(maxLineBytes: configuration.maxLineBytes)
        do {
            for try await chunk in stream {
                for line in splitter.split(chunk) {
                    guard await deliver(line, &progress, to: output) else { return .stopped }
                }
            }
        } catch {
            return Task.isCancelled ? .stopped : .failed(error)
        }
        return .ended(fragment: splitter.takeFragment())
    }

    /// Delivers one raw line unless it was delivered before. `false`: stop reading (the reader
    /// is gone or `limitBytes` is reached).
    func deliver(_ raw: [UInt8], _ progress: inout Progress, to output: LogMerger.Input) async -> Bool {
        var line: LogLine
        if let parsed = LogLine(timestamped: raw, pod: target.pod, container: target.container) {
            guard progress.cursor.admit(parsed.timestamp) else { return true }
            line = parsed
        } else {
            // Not timestamped, which the apiserver does not do when asked: keep it, at the last time seen.
            let time = progress.cursor.last ?? LogTimestamp(Date())
            line = LogLine(
                pod: target.pod, container: target.container, timestamp: time, timeText: time.description,
                text: String(decoding: raw, as: UTF8.self))
        }
        guard progress.remainingBytes > 0 else { return false }
        let prefix = request.timestamps ? line.timeText.utf8.count + 1 : 0
        let cost = prefix + line.text.utf8.count + 1
        if cost > progress.remainingBytes {
            // The last line `limitBytes` allows is cut, as the apiserver cuts it.
            let keep = max(0, progress.remainingBytes - prefix - 1)
            line = LogLine(
                pod: line.pod, container: line.container, timestamp: line.timestamp, timeText: line.timeText,
                text: String(decoding: line.text.utf8.prefix(keep), as: UTF8.self))
            progress.remainingBytes = 0
        } else {
            progress.remainingBytes -= cost
        }
        progress.delivered = true
        return await output.yield(line) && progress.remainingBytes > 0
    }

    /// How the container stands now.
    func phase() async -> ContainerPhase {
        let pod: JSONValue
        do {
            pod = try await connect().get(Self.pods, namespace: target.namespace, name: target.pod)
        } catch let error as KubeError where error.isNotFound {
            return .gone
        } catch {
            return .unknown
        }
        if let uid = target.podUID, pod["metadata"]?["uid"]?.stringValue != uid { return .gone }
        let statuses = ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"]
            .flatMap { pod["status"]?[$0]?.arrayValue ?? [] }
        guard let state = statuses.first(where: { $0["name"]?.stringValue == target.container })?["state"] else {
            let phase = pod["status"]?["phase"]?.stringValue
            return phase == "Succeeded" || phase == "Failed" ? .terminated : .waiting
        }
        if state["running"] != nil { return .running }
        if state["terminated"] != nil { return .terminated }
        if state["waiting"] != nil { return .waiting }
        return .unknown
    }

    /// Whether retrying cannot help: the request itself is refused (bad request, forbidden, the
    /// cluster was deleted or is outside the caller's scope).
    static func isPermanent(_ error: any Error) -> Bool {
        if let error = error as? APIError { return error.code != .clusterUnreachable }
        guard let error = error as? KubeError else { return false }
        if error.kind == .unauthorized { return true }
        guard error.kind == .status, let code = error.code else { return false }
        return (400..<500).contains(code) && code != 408 && code != 429
    }

    /// Whether the apiserver refused the request as it stands (400: the container is not running,
    /// has no previous instance, ...), which can change with the container's state.
    static func isRefusal(_ error: any Error) -> Bool {
        (error as? KubeError)?.code == 400
    }

    /// The seed error for a failure that ends a log: a refused request is the caller's (1001).
    static func apiError(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as KubeError where error.code == 400: return .invalidArgument(error.message)
        case let error as KubeError: return APIError(error, verb: .read)
        default: return APIError(.clusterUnreachable, APIError.reason(of: error))
        }
    }

    /// A failure for a `status` reason.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.message
        case let error as KubeError: error.message
        default: APIError.reason(of: error)
        }
    }
}
