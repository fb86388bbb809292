import GaleJSON

extension JSONValue {
    /// The value as an `Int`: an integer, a double with no fractional part, or a decimal string
    /// (Kubernetes writes resource versions as strings and KubeSim compares them as numbers).
    var integer: Int? {
        switch self {
        case .string(let text): Int(text)
        default: intValue.flatMap { Int(exactly: $0) }
        }
    }

    /// A map of strings (labels, annotations) read from an object of strings.
    var stringMap: [String: String] {
        objectValue?.compactMapValues(\.stringValue) ?? [:]
    }

    /// An object of strings.
    static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.mapValues { .string($0) })
    }
}

extension JSONParser.Configuration {
    /// The bound on everything KubeSim parses (request bodies, continue tokens, the state file):
    /// 511 levels, as KubeSim's own parser allowed, deeper than any Kubernetes object nests.
    static let kubeSim = Self(maxDepth: 511)
}
