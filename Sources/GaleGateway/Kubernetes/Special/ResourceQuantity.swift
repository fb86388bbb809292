/// Kubernetes resource quantities (`"4"`, `"250m"`, `"123456n"`, `"16323720Ki"`, `"1.5Gi"`) as numbers.
enum ResourceQuantity {
    private static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
        ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15),
        ("E", 1e18),
    ]

    /// The quantity in base units (cores, bytes), or `nil` when it is not one.
    static func value(_ text: String?) -> Double? {
        guard let text, !text.isEmpty else { return nil }
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * factor }
        }
        return Double(text)
    }

    /// CPU in millicores.
    static func millicores(_ text: String?) -> Double? { value(text).map { $0 * 1000 } }
}
