/// The patch formats the apiserver accepts.
public enum PatchFormat: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    /// Recognises a Content-Type header value (parameters ignored).
    public init?(contentType: String) {
        let base = contentType.split(separator: ";").first.map { String($0).trimmingCharacters(in: " ") } ?? ""
        self.init(rawValue: base)
    }
}
