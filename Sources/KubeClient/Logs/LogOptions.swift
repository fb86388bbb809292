import Foundation

/// Options of a container log request (`GET .../pods/NAME/log`).
public struct LogOptions: Sendable, Hashable {
    /// Container name; required when the pod has more than one.
    public var container: String?
    /// Keep the stream open and send new lines as they are written.
    public var follow: Bool
    /// Only the last N lines.
    public var tailLines: Int?
    /// Only lines written at or after this time (`sinceTime`, RFC 3339).
    public var sinceTime: Date?
    /// Only lines from the last N seconds (`sinceSeconds`).
    public var sinceSeconds: Int?
    /// Prefix each line with its RFC 3339 timestamp.
    public var timestamps: Bool
    /// The previous (terminated) instance of the container.
    public var previous: Bool
    /// Stop after this many bytes (`limitBytes`).
    public var limitBytes: Int?

    /// Creates log options; the defaults return the whole log once.
    public init(
        container: String? = nil,
        follow: Bool = false,
        tailLines: Int? = nil,
        sinceTime: Date? = nil,
        sinceSeconds: Int? = nil,
        timestamps: Bool = false,
        previous: Bool = false,
        limitBytes: Int? = nil
    ) {
        self.container = container
        self.follow = follow
        self.tailLines = tailLines
        self.sinceTime = sinceTime
        self.sinceSeconds = sinceSeconds
        self.timestamps = timestamps
        self.previous = previous
        self.limitBytes = limitBytes
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        if let sinceTime { query.append(("sinceTime", RFC3339.string(sinceTime))) }
        if let sinceSeconds { query.append(("sinceSeconds", String(sinceSeconds))) }
        if timestamps { query.append(("timestamps", "true")) }
        if previous { query.append(("previous", "true")) }
        if let limitBytes { query.append(("limitBytes", String(limitBytes))) }
        return query
    }
}
