import Foundation
import GaleJSON

/// The object store as one JSON document on disk, `kubesim-state.json` in the state directory: every object,
/// the resourceVersion counter and the window of changes that watches resume from. A simulator started on the
/// same directory continues that cluster: same objects and versions, and a watch from a version inside the
/// saved window resumes as it would after an apiserver restart (older ones get 410 Expired).
///
/// Written atomically (a temporary file renamed over the old one), so a crash mid-write leaves the previous
/// state; a file that cannot be read back is reported as ``StateDirectoryError`` naming the file, never a crash.
struct StateSnapshot: Sendable {
    static let fileName = "kubesim-state.json"
    static let kind = "KubeSimState"
    static let formatVersion = 1

    var resourceVersion: Int
    var compactedRevision: Int
    /// Every stored object by resource.
    var objects: [ResourceType: [JSONValue]]
    /// Changes after ``compactedRevision``, oldest first.
    var history: [StoreEvent]

    /// `v1/pods`, `apps/v1/deployments`: how a resource is named in the file.
    static func resourceID(_ type: ResourceType) -> String { "\(type.apiVersion)/\(type.plural)" }

    static func resource(id: String) -> ResourceType? {
        ResourceCatalog.stored.first { resourceID($0) == id }
    }

    var objectCount: Int { objects.values.reduce(0) { $0 + $1.count } }

    /// The document.
    func json() -> JSONValue {
        var resources: [String: JSONValue] = [:]
        for (type, items) in objects where !items.isEmpty {
            resources[Self.resourceID(type)] = .array(items)
        }
        let changes: [JSONValue] = history.map { event in
            var entry: JSONValue = [
                "type": .string(event.kind.rawValue), "resource": .string(Self.resourceID(event.resource)),
                "resourceVersion": .int(Int64(event.resourceVersion)), "object": event.object,
            ]
            if let previous = event.previous { entry["previous"] = previous }
            return entry
        }
        return [
            "kind": .string(Self.kind), "version": .int(Int64(Self.formatVersion)), "resourceVersion": .int(Int64(resourceVersion)),
            "compactedRevision": .int(Int64(compactedRevision)), "resources": .object(resources), "history": .array(changes),
        ]
    }

    /// Reads a document; `path` only names the file in errors.
    static func decode(_ bytes: some Collection<UInt8>, path: String) throws(StateDirectoryError) -> StateSnapshot {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes, configuration: .kubeSim)
        } catch {
            throw .corrupt(path, "not JSON: \(error)")
        }
        guard document["kind"]?.stringValue == kind else {
            throw .corrupt(path, "not a KubeSim state file (kind is not \(kind))")
        }
        guard document["version"]?.integer == formatVersion else {
            throw .corrupt(
                path,
                "format version \(document["version"]?.jsonString ?? "missing"), this KubeSim reads \(formatVersion)")
        }
        guard let resourceVersion = document["resourceVersion"]?.integer, resourceVersion >= 0,
            let compactedRevision = document["compactedRevision"]?.integer, compactedRevision <= resourceVersion
        else { throw .corrupt(path, "resourceVersion or compactedRevision missing or inconsistent") }
        var objects: [ResourceType: [JSONValue]] = [:]
        for (id, items) in document["resources"]?.objectValue ?? [:] {
            guard let type = resource(id: id) else { throw .corrupt(path, "unknown resource \(id)") }
            guard let items = items.arrayValue else { throw .corrupt(path, "\(id) is not a list of objects") }
            for item in items {
                guard let name = item[path: ["metadata", "name"]]?.stringValue, !name.isEmpty else {
                    throw .corrupt(path, "an object of \(id) has no metadata.name")
                }
                guard let version = item[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap({ Int($0) }),
                    version <= resourceVersion
                else {
                    throw .corrupt(
                        path, "\(id) \(name) has no resourceVersion, or one newer than the store's \(resourceVersion)")
                }
                if type.namespaced, (item[path: ["metadata", "namespace"]]?.stringValue ?? "").isEmpty {
                    throw .corrupt(path, "\(id) \(name) has no namespace")
                }
            }
            objects[type] = items
        }
        var history: [StoreEvent] = []
        for change in document["history"]?.arrayValue ?? [] {
            guard let kind = change["type"]?.stringValue.flatMap(StoreEvent.Kind.init(rawValue:)),
                let type = change["resource"]?.stringValue.flatMap(resource(id:)),
                let version = change["resourceVersion"]?.integer, version > compactedRevision,
                version <= resourceVersion,
                let object = change["object"], object.objectValue != nil
            else { throw .corrupt(path, "a history entry is malformed") }
            history.append(
                StoreEvent(
                    kind: kind, resource: type, object: object, previous: change["previous"], resourceVersion: version))
        }
        return StateSnapshot(
            resourceVersion: resourceVersion, compactedRevision: compactedRevision, objects: objects, history: history)
    }

    /// The state saved in `directory`, or `nil` when it holds none yet.
    static func load(directory: String) throws(StateDirectoryError) -> StateSnapshot? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path, "\(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// Writes the document into `directory` (created with mode 0700 when missing) atomically, mode 0600.
    func write(directory: String) throws(StateDirectoryError) {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var text = json().jsonString
            text.append("\n")
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw .unwritable(path, "\(error.localizedDescription)")
        }
    }
}

/// A state directory that cannot be used: the file is corrupt, unreadable or cannot be written.
public struct StateDirectoryError: Error, CustomStringConvertible, Sendable {
    private enum Code: Sendable {
        case corrupt
        case unreadable
        case unwritable
    }

    private let code: Code
    /// The state file.
    public let path: String
    private let reason: String

    static func corrupt(_ path: String, _ reason: String) -> StateDirectoryError {
        .init(code: .corrupt, path: path, reason: reason)
    }
    static func unreadable(_ path: String, _ reason: String) -> StateDirectoryError {
        .init(code: .unreadable, path: path, reason: reason)
    }
    static func unwritable(_ path: String, _ reason: String) -> StateDirectoryError {
        .init(code: .unwritable, path: path, reason: reason)
    }

    public var description: String {
        switch code {
        case .corrupt:
            return "the KubeSim state file \(path) is corrupt (\(reason)); move it away to start a fresh cluster"
        case .unreadable: return "the KubeSim state file \(path) cannot be read: \(reason)"
        case .unwritable: return "the KubeSim state cannot be saved to \(path): \(reason)"
        }
    }
}
