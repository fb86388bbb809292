import Foundation
import GaleJSON
import Hummingbird
import NIOCore
import Synchronization

extension LogGenerator {
    struct Options {
        var follow = false
        var tailLines: Int?
        var since: Date?
        var timestamps = false
        var limitBytes: Int?
    }

    /// Which container of a pod the request is about, and the window of its logs.
    func window(pod: JSONValue, query: QueryParameters) throws -> Window {
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        let names = containers.compactMap { $0["name"]?.stringValue }
        let containerName: String
        if let requested = query["container"], !requested.isEmpty {
            guard names.contains(requested) else {
                throw KubeStatusError.badRequest("container \(requested) is not valid for pod \(name)")
            }
            containerName = requested
        } else if names.count == 1 {
            containerName = names[0]
        } else {
            throw KubeStatusError.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(names.joined(separator: " "))]")
        }
        let image = containers.first { $0["name"]?.stringValue == containerName }?["image"]?.stringValue ?? ""
        let status = (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).first {
            $0["name"]?.stringValue == containerName
        }
        let seed = Self.seed("\(pod[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(name)/\(containerName)")
        if query.bool("previous") && query["previous"] != nil {
            guard let terminated = status?[path: ["lastState", "terminated"]],
                let started = terminated["startedAt"]?.stringValue.flatMap(KubeTime.parse),
                let finished = terminated["finishedAt"]?.stringValue.flatMap(KubeTime.parse)
            else {
                throw KubeStatusError.badRequest("previous terminated container \"\(containerName)\" in pod \"\(name)\" not found")
            }
            return Window(start: started, end: Self.endOfSecond(finished), seed: seed &+ 7_919, image: image)
        }
        if let running = status?[path: ["state", "running", "startedAt"]]?.stringValue.flatMap(KubeTime.parse) {
            return Window(start: running, end: nil, seed: seed, image: image)
        }
        if let terminated = status?[path: ["state", "terminated"]],
            let started = terminated["startedAt"]?.stringValue.flatMap(KubeTime.parse)
        {
            let finished = terminated["finishedAt"]?.stringValue.flatMap(KubeTime.parse) ?? started
            return Window(start: started, end: Self.endOfSecond(finished), seed: seed, image: image)
        }
        let reason = status?[path: ["state", "waiting", "reason"]]?.stringValue ?? "ContainerCreating"
        throw KubeStatusError.badRequest("container \"\(containerName)\" in pod \"\(name)\" is waiting to start: \(reason)")
    }

    /// `finishedAt` has whole seconds: the container may have written until the end of that second,
    /// and a follower may have seen those lines before it stopped.
    static func endOfSecond(_ finished: Date) -> Date { finished.addingTimeInterval(0.999) }

    func respond(
        namespace: String, name: String, query: QueryParameters, context: SimRequestContext, streams: LiveStreams,
        faults: FaultInjector, store: ObjectStore
    ) throws
        -> Response
    {
        let pod = try store.get(ResourceCatalog.pods, namespace: namespace, name: name)
        let window = try window(pod: pod, query: query)
        var options = Options()
        options.follow = query.bool("follow") && query["follow"] != nil
        options.tailLines = query.int("tailLines")
        options.timestamps = query.bool("timestamps") && query["timestamps"] != nil
        options.limitBytes = query.int("limitBytes")
        if let sinceTime = query["sinceTime"] {
            guard let date = KubeTime.parse(sinceTime) else { throw KubeStatusError.badRequest("invalid sinceTime \(sinceTime)") }
            options.since = date
        } else if let seconds = query.int("sinceSeconds") {
            options.since = Date().addingTimeInterval(-Double(seconds))
        }
        let uid = pod[path: ["metadata", "uid"]]?.stringValue
        // A terminated container's log is complete up to its end, even within the second it stopped in.
        var lines = available(window, now: max(Date(), window.end ?? .distantPast))
        if let since = options.since {
            let first = Int((since.timeIntervalSince(window.start) * linesPerSecond).rounded(.up))
            lines = max(lines.lowerBound, min(first, lines.upperBound))..<lines.upperBound
        }
        if let tail = options.tailLines, tail >= 0 { lines = max(lines.lowerBound, lines.upperBound - tail)..<lines.upperBound }
        let initial = lines
        let settings = options
        let generator = self
        let follow = options.follow && window.end == nil
        let cancelled = Mutex(false)
        let cut = Mutex(false)
        let streamID = follow ? streams.register { cancelled.withLock { $0 = true } } : 0
        let faultID = follow ? faults.logFollows.register { cut.withLock { $0 = true } } : 0
        if follow { context.channel.closeFuture.whenComplete { _ in cancelled.withLock { $0 = true } } }
        let channel = context.channel
        let body = ResponseBody { writer in
            defer {
                if follow {
                    streams.unregister(streamID)
                    faults.logFollows.unregister(faultID)
                }
            }
            var budget = settings.limitBytes ?? Int.max
            func render(_ range: Range<Int>) -> ByteBuffer? {
                guard budget > 0, !range.isEmpty else { return nil }
                var text = ""
                for index in range {
                    if settings.timestamps { text += KubeTime.formatNano(generator.time(of: index, in: window)) + " " }
                    text += generator.line(index, in: window) + "\n"
                }
                var bytes = Array(text.utf8)
                if bytes.count > budget { bytes = Array(bytes.prefix(budget)) }
                budget -= bytes.count
                return ByteBuffer(bytes: bytes)
            }
            if let buffer = render(initial) { try await writer.write(buffer) }
            var next = initial.upperBound
            while follow, budget > 0, !cancelled.withLock({ $0 }) {
                let due = generator.time(of: next, in: window).timeIntervalSinceNow
                try await Task.sleep(for: .milliseconds(max(20, min(500, Int(due * 1000)))))
                if cut.withLock({ $0 }) {
                    // Injected fault: a connection broken mid-write — half a line, then nothing.
                    let time = generator.time(of: next, in: window)
                    let prefix = settings.timestamps ? KubeTime.formatNano(time) + " " : ""
                    let bytes = Array((prefix + generator.line(next, in: window) + "\n").utf8)
                    try await writer.write(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
                    channel.close(promise: nil)
                    throw CancellationError()
                }
                guard let current = store.find(ResourceCatalog.pods, namespace: namespace, name: name),
                    current[path: ["metadata", "uid"]]?.stringValue == uid
                else { break }
                // A container that stopped (or was replaced by a restart) ends its log here, as the kubelet's does.
                let latest = try? generator.window(pod: current, query: query)
                let end = latest.map { $0.start == window.start ? $0.end : Date() } ?? Date()
                let bounded = Window(start: window.start, end: end, seed: window.seed, image: window.image)
                let upper = generator.available(bounded, now: max(Date(), end ?? .distantPast)).upperBound
                if upper > next, let buffer = render(next..<upper) {
                    try await writer.write(buffer)
                    next = upper
                }
                if end != nil { break }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }
}
