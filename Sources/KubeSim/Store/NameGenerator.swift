/// Random name suffixes the way the apiserver's `generateName` and controllers make them.
enum NameGenerator {
    /// Kubernetes' "safe" alphabet: no vowels, no confusable characters.
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// A 5-character random suffix (`x7k2p`).
    static func suffix(length: Int = 5) -> String {
        String((0..<length).map { _ in alphabet.randomElement()! })
    }

    /// A stable hash rendered in the safe alphabet (pod-template-hash, controller-revision-hash).
    static func hash(_ text: String) -> String {
        var value: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
        var result = ""
        for _ in 0..<10 {
            result.append(alphabet[Int(value % UInt32(alphabet.count))])
            value /= UInt32(alphabet.count)
            if value == 0 { break }
        }
        return result
    }
}
