import Foundation
@_exported import GaleJSON

/// A JSON value as Kubernetes sends it — the project's one JSON type, ``GaleJSON/JSONValue``,
/// with integers kept exact (`.int`) apart from fractional numbers (`.double`).
///
/// ```swift
/// let name = pod["metadata"]?["name"]?.stringValue
/// ```
public typealias KubeJSON = JSONValue

extension JSONValue {
    /// The value as compact JSON bytes (object members in sorted order).
    public func jsonData() -> Data {
        var bytes: [UInt8] = []
        write(to: &bytes)
        return Data(bytes)
    }
}
