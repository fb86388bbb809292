import Foundation
import GaleJSON
import GaleProtocol
import KubeClient
import KubeSim
import Synchronization
import WSCore

/// What one subscriber of a watch channel has seen: the objects its events add up to, checked
/// frame by frame — `seq` must rise by one, and no object may be told the same version twice.
struct WatchView: Sendable {
    var objects: [String: GaleJSON.JSONValue] = [:]
    var lastSeq: UInt64 = 0
    /// The item count of each `events` frame applied.
    var batches: [Int] = []
    var synced = false
    var resyncs = 0
    var events: [(event: String, key: String, uid: String, resourceVersion: String)] = []
    var statuses: [String] = []
    var problems: [String] = []

    /// Applies one frame of `channel`; frames of other channels are ignored.
    mutating func apply(_ frame: ServerFrame, channel: UInt32) {
        switch frame {
        case .events(let events) where events.first?.channel == channel:
            batches.append(events.count)
            for event in events { apply(.event(event), channel: channel) }
        case .event(let event) where event.channel == channel:
            if event.seq != lastSeq + 1 { problems.append("seq \(event.seq) after \(lastSeq)") }
            lastSeq = event.seq
            guard let object = event.fields["object"] else {
                problems.append("event without object")
                return
            }
            let metadata = object["metadata"]
            let key = (metadata?["namespace"]?.stringValue ?? "") + "/" + (metadata?["name"]?.stringValue ?? "")
            let version = event.fields["resourceVersion"]?.stringValue ?? ""
            // An object is one incarnation (uid): a cluster rebuilt under a watch may bring an
            // object of the same name at the same resourceVersion, which is a new object.
            let uid = metadata?["uid"]?.stringValue ?? ""
            if synced,
                events.contains(where: {
                    $0.key == key && $0.uid == uid && $0.resourceVersion == version && $0.event == event.event
                })
            {
                problems.append("duplicate \(event.event) of \(key) at \(version)")
            }
            events.append((event.event, key, uid, version))
            switch event.event {
            case "ADDED", "MODIFIED": objects[key] = object
            case "DELETED": objects[key] = nil
            default: problems.append("unexpected event \(event.event)")
            }
        case .synced(let synced, let seq, _) where synced == channel:
            if seq != lastSeq { problems.append("synced at \(seq), last event \(lastSeq)") }
            self.synced = true
        case .resync(let resynced, _) where resynced == channel:
            resyncs += 1
            objects = [:]
            synced = false
        case .status(_, let state, _):
            statuses.append(state)
        default:
            break
        }
    }

    /// `namespace/name` → resourceVersion, to compare with the cluster.
    var versions: [String: String] {
        objects.mapValues { $0["metadata"]?["resourceVersion"]?.stringValue ?? "" }
    }
}

extension TestSocket {
    /// Receives text frames until `predicate` holds for one (binary frames are skipped); returns
    /// every text frame received.
    @discardableResult
    mutating func receive(until predicate: (ServerFrame) -> Bool) async throws -> [ServerFrame] {
        var frames: [ServerFrame] = []
        while true {
            guard let message = try await messages.next() else { throw TestFailure("socket closed") }
            guard case .text(let text) = message else { continue }
            let frame = try ServerFrame(text: Array(text.utf8))
            frames.append(frame)
            if predicate(frame) { return frames }
        }
    }

    /// Sends a `subscribe` and returns its channel (throws the error frame's message on refusal).
    mutating func subscribe(_ options: [String: GaleJSON.JSONValue], id: String = UUID().uuidString) async throws -> UInt32 {
        var members = options
        members["type"] = "subscribe"
        members["id"] = .string(id)
        try await send(text: GaleJSON.JSONValue.object(members).jsonString)
        while true {
            switch try await receive() {
            case .subscribed(.string(id), let channel): return channel
            case .error(.string(id)?, _, let code, let msg): throw SubscribeRefused(code: code, message: msg)
            default: continue
            }
        }
    }

    /// Watches the config maps of `namespace` on cluster `id` until synced; returns the channel and
    /// what it showed.
    mutating func watchConfigMaps(cluster id: Int64, namespace: String = "demo") async throws -> (
        channel: UInt32, view: WatchView
    ) {
        let channel = try await subscribe([
            "stream": "watch", "cluster": .int(id), "resource": "configmaps", "namespace": .string(namespace),
        ])
        var view = WatchView()
        try await follow(channel, into: &view) { $0.synced }
        return (channel, view)
    }

    /// Feeds frames to `view` until `done` holds.
    mutating func follow(_ channel: UInt32, into view: inout WatchView, until done: (WatchView) -> Bool) async throws {
        while !done(view) {
            view.apply(try await receive(), channel: channel)
        }
    }
}

/// A refused `subscribe`.
struct SubscribeRefused: Error {
    let code: ErrorCode
    let message: String
}

/// A value tests share between concurrent socket tasks.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
}

/// Waits until `count` tasks have arrived.
actor Barrier {
    private var arrived = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    func arrive() {
        arrived += 1
        let ready = waiters.filter { $0.0 <= arrived }
        waiters.removeAll { $0.0 <= arrived }
        for (_, waiter) in ready { waiter.resume() }
    }

    func wait(for count: Int) async {
        if arrived >= count { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }
}

extension SimCluster {
    /// A client straight to KubeSim, to read the cluster's real state.
    func kubeClient() throws -> KubeClient {
        try KubeClient(target: try Kubeconfig(yaml: try simulator.kubeconfig()).resolve())
    }

    /// `namespace/name` → resourceVersion of the objects of a collection (`/api/v1/namespaces/demo/configmaps`) now.
    func clusterVersions(_ path: String) async throws -> [String: String] {
        let client = try kubeClient()
        defer { Task { try? await client.shutdown() } }
        return try await client.versions(path)
    }

    /// Polls until `condition` holds (at most `timeout`).
    func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("condition not met within \(timeout)")
    }
}

extension KubeClient {
    /// `namespace/name` → resourceVersion of the objects of a collection path now.
    func versions(_ path: String) async throws -> [String: String] {
        let list = try await get(path: path)
        var versions: [String: String] = [:]
        for item in list["items"]?.arrayValue ?? [] {
            let metadata = item["metadata"]
            versions[(metadata?["namespace"]?.stringValue ?? "") + "/" + (metadata?["name"]?.stringValue ?? "")] =
                metadata?["resourceVersion"]?.stringValue ?? ""
        }
        return versions
    }
}
