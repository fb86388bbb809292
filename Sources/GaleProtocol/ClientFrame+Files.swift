public import GaleJSON

extension ClientFrame {
    /// Where a file transfer goes: a path in a container.
    public struct FileTarget: Hashable, Sendable {
        public var cluster: String
        public var namespace: String
        public var pod: String
        /// `nil`: the pod's only (or default) container.
        public var container: String?
        /// Absolute path in the container.
        public var path: String

        public init(cluster: String, namespace: String, pod: String, container: String? = nil, path: String) {
            self.cluster = cluster
            self.namespace = namespace
            self.pod = pod
            self.container = container
            self.path = path
        }

        init(_ fields: FieldReader) throws(FrameError) {
            cluster = try ClientFrame.clusterID(fields)
            namespace = try fields.string("namespace")
            pod = try fields.string("pod")
            container = try fields.optionalString("container")
            path = try fields.string("path")
        }

        func encode(into members: inout [String: JSONValue]) {
            members["cluster"] = .string(cluster)
            members["namespace"] = .string(namespace)
            members["pod"] = .string(pod)
            members["container"] = container.map { .string($0) }
            members["path"] = .string(path)
        }
    }

    /// `upload`: writes a file of `size` bytes into a container; its bytes follow as binary stream
    /// 0 frames on the channel that `opened` names.
    public struct Upload: Hashable, Sendable {
        public var id: FrameID
        public var target: FileTarget
        /// Bytes the client will send.
        public var size: Int64
        /// Permission bits of the new file (default 0644).
        public var mode: Int?

        public init(id: FrameID, target: FileTarget, size: Int64, mode: Int? = nil) {
            self.id = id
            self.target = target
            self.size = size
            self.mode = mode
        }

        init(_ fields: FieldReader) throws(FrameError) {
            id = try ClientFrame.requiredID(fields)
            target = try FileTarget(fields)
            size = try fields.int("size")
            guard size >= 0 else { throw fields.fail("field \"size\" must not be negative") }
            if let mode = try fields.optionalInt("mode") {
                guard (0...0o7777).contains(mode) else { throw fields.fail("field \"mode\" must be between 0 and 4095 (07777)") }
                self.mode = Int(mode)
            }
        }

        func encode(into members: inout [String: JSONValue]) {
            members["id"] = id.json
            target.encode(into: &members)
            members["size"] = .int(size)
            members["mode"] = mode.map { .int(Int64($0)) }
        }
    }

    /// `download`: reads a file (its bytes) or a directory (a tar archive) out of a container, as
    /// binary stream 1 frames on the channel that `opened` names.
    public struct Download: Hashable, Sendable {
        public var id: FrameID
        public var target: FileTarget

        public init(id: FrameID, target: FileTarget) {
            self.id = id
            self.target = target
        }

        init(_ fields: FieldReader) throws(FrameError) {
            id = try ClientFrame.requiredID(fields)
            target = try FileTarget(fields)
        }

        func encode(into members: inout [String: JSONValue]) {
            members["id"] = id.json
            target.encode(into: &members)
        }
    }
}
