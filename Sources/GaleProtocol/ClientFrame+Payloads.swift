public import GaleJSON

extension ClientFrame {
    /// `hello`: a client resuming an earlier session presents it with the last `seq` it saw
    /// on each channel.
    public struct Hello: Hashable, Sendable {
        /// The session id from the server's earlier `hello`.
        public var session: String?
        /// Last sequence number received, by channel.
        public var lastSeq: [UInt32: UInt64]

        public init(session: String? = nil, lastSeq: [UInt32: UInt64] = [:]) {
            self.session = session
            self.lastSeq = lastSeq
        }

        init(_ fields: FieldReader) throws(FrameError) {
            session = try fields.optionalString("session")
            lastSeq = [:]
            for (key, value) in try fields.optionalObject("lastSeq") ?? [:] {
                guard let channel = UInt32(key), channel > 0, String(channel) == key else {
                    throw fields.fail("field \"lastSeq\" keys must be channel numbers without sign or leading zeros")
                }
                guard let seq = value.intValue, seq >= 0 else {
                    throw fields.fail("field \"lastSeq.\(key)\" must be a non-negative integer")
                }
                lastSeq[channel] = UInt64(seq)
            }
        }

        func encode(into members: inout [String: JSONValue]) {
            members["session"] = session.map { .string($0) }
            if !lastSeq.isEmpty {
                members["lastSeq"] = .object(
                    Dictionary(uniqueKeysWithValues: lastSeq.map { (String($0.key), .int(Int64($0.value))) })
                )
            }
        }
    }

    /// `request`: an API operation; `path` is relative to `/api/v1/kubernetes` and may carry a
    /// query string, merged with `query`.
    public struct Request: Hashable, Sendable {
        public var id: FrameID
        public var method: String
        public var path: String
        public var query: [String: String]
        public var body: JSONValue?

        public init(id: FrameID, method: String, path: String, query: [String: String] = [:], body: JSONValue? = nil) {
            self.id = id
            self.method = method
            self.path = path
            self.query = query
            self.body = body
        }

        init(_ fields: FieldReader) throws(FrameError) {
            id = try ClientFrame.requiredID(fields)
            method = try fields.string("method").uppercased()
            guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
                throw fields.fail("field \"method\" must be one of GET, POST, PUT, PATCH, DELETE")
            }
            path = try fields.string("path")
            guard path.hasPrefix("/") else { throw fields.fail("field \"path\" must start with \"/\"") }
            query = try fields.optionalStringMap("query") ?? [:]
            body = fields.members["body"].flatMap { $0.isNull ? Optional.none : $0 }
        }

        func encode(into members: inout [String: JSONValue]) {
            members["id"] = id.json
            members["method"] = .string(method)
            members["path"] = .string(path)
            if !query.isEmpty { members["query"] = .object(query.mapValues { .string($0) }) }
            members["body"] = body
        }
    }

    /// `subscribe`: opens a live channel. Members beyond the common ones are stream options
    /// (`container`, `tailLines`, `interval`, ...) kept as given.
    public struct Subscribe: Hashable, Sendable {
        public var id: FrameID
        /// `watch`, `logs`, `events` or `metrics`.
        public var stream: String
        /// Cluster id.
        public var cluster: String
        /// Stream options, including `resource`, `namespace`, `name`, `labelSelector`, ...
        public var options: [String: JSONValue]

        static let streams: Set<String> = ["watch", "logs", "events", "metrics", "topology", "alerts"]

        public init(id: FrameID, stream: String, cluster: String, options: [String: JSONValue] = [:]) {
            self.id = id
            self.stream = stream
            self.cluster = cluster
            self.options = options
        }

        init(_ fields: FieldReader) throws(FrameError) {
            id = try ClientFrame.requiredID(fields)
            stream = try fields.string("stream")
            guard Self.streams.contains(stream) else {
                throw fields.fail("field \"stream\" must be one of watch, logs, events, metrics, topology, alerts")
            }
            cluster = try ClientFrame.clusterID(fields)
            var options = fields.members
            for key in ["type", "id", "stream", "cluster"] { options[key] = nil }
            self.options = options
        }

        func encode(into members: inout [String: JSONValue]) {
            members.merge(options) { current, _ in current }
            members["id"] = id.json
            members["stream"] = .string(stream)
            members["cluster"] = .string(cluster)
        }
    }

    /// `exec`: an interactive process in a container; bytes flow in binary stream frames.
    public struct Exec: Hashable, Sendable {
        public var id: FrameID
        public var cluster: String
        public var namespace: String
        public var pod: String
        public var container: String?
        public var command: [String]
        public var tty: Bool
        public var cols: Int?
        public var rows: Int?

        public init(
            id: FrameID, cluster: String, namespace: String, pod: String, container: String? = nil,
            command: [String], tty: Bool = false, cols: Int? = nil, rows: Int? = nil
        ) {
            self.id = id
            self.cluster = cluster
            self.namespace = namespace
            self.pod = pod
            self.container = container
            self.command = command
            self.tty = tty
            self.cols = cols
            self.rows = rows
        }

        init(_ fields: FieldReader) throws(FrameError) {
            id = try ClientFrame.requiredID(fields)
            cluster = try ClientFrame.clusterID(fields)
            namespace = try fields.string("namespace")
            pod = try fields.string("pod")
            container = try fields.optionalString("container")
            command = try fields.stringArray("command")
            guard !command.isEmpty else { throw fields.fail("field \"command\" must not be empty") }
            tty = try fields.optionalBool("tty") ?? false
            (cols, rows) = try ClientFrame.terminalSize(fields, required: false)
        }

        func encode(into members: inout [String: JSONValue]) {
            members["id"] = id.json
            members["cluster"] = .string(cluster)
            members["namespace"] = .string(namespace)
            members["pod"] = .string(pod)
            members["container"] = container.map { .string($0) }
            members["command"] = .array(command.map { .string($0) })
            members["tty"] = .bool(tty)
            members["cols"] = cols.map { .int(Int64($0)) }
            members["rows"] = rows.map { .int(Int64($0)) }
        }
    }

    /// Cluster ids are integers in the seed API; frames accept them as numbers or strings.
    static func clusterID(_ fields: FieldReader) throws(FrameError) -> String {
        switch fields.members["cluster"] {
        case .string(let value)?: return value
        case .int(let value)?: return String(value)
        case nil, .null?: throw fields.fail("missing field \"cluster\"")
        default: throw fields.fail("field \"cluster\" must be a cluster id")
        }
    }
}
