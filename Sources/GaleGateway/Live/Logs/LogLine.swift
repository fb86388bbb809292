import Foundation
import GaleJSON

/// One line of a container's log, attributed to its pod and container.
struct LogLine: Sendable, Hashable {
    /// The pod that wrote it.
    let pod: String
    /// The container that wrote it.
    let container: String
    /// When it was written, exact (orders lines; see ``LogTimestamp``).
    let timestamp: LogTimestamp
    /// The time exactly as the apiserver wrote it (`2024-01-02T03:04:05.123456789Z`).
    let timeText: String
    /// The line, without its newline.
    let text: String

    init(pod: String, container: String, timestamp: LogTimestamp, timeText: String, text: String) {
        self.pod = pod
        self.container = container
        self.timestamp = timestamp
        self.timeText = timeText
        self.text = text
    }

    /// Parses a line of a log requested with `timestamps=true`: an RFC 3339 time, a space, the
    /// text (`2024-01-02T03:04:05.123456789Z GET / 200`). `nil` when it does not start so.
    init?(timestamped line: some Collection<UInt8>, pod: String, container: String) {
        let bytes = Array(line)
        let space = bytes.firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
        guard let timestamp = LogTimestamp(rfc3339: bytes[..<space]) else { return nil }
        self.init(
            pod: pod, container: container, timestamp: timestamp,
            timeText: String(decoding: bytes[..<space], as: UTF8.self),
            text: space < bytes.endIndex ? String(decoding: bytes[(space + 1)...], as: UTF8.self) : "")
    }

    /// When it was written.
    var time: Date { timestamp.date }

    /// The line as `kubectl logs` prints it, without the newline: with `timestamps`, the time
    /// and a space first.
    func rendered(timestamps: Bool) -> String {
        timestamps ? timeText + " " + text : text
    }

    /// The members of its `LOG` event frame (SPEC §6.5): `pod`, `container`, `time`, `line`.
    var eventFields: [String: JSONValue] {
        ["pod": .string(pod), "container": .string(container), "time": .string(timeText), "line": .string(text)]
    }

    /// Bytes of its own it holds (pod and container names are shared), for buffer limits.
    var byteCount: Int { text.utf8.count + timeText.utf8.count }
}
