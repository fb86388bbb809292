public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A secret kept in a file of the data directory, created with mode 0600 on first use.
public enum SecretFile {
    /// The trimmed contents of `url`; when it does not exist, `generate()` is written there first,
    /// created exclusively with mode 0600 (never readable by others, not even briefly).
    public static func loadOrCreate(_ url: URL, generate: () -> String) throws -> (value: String, created: Bool) {
        if let existing = try? String(contentsOf: url, encoding: .utf8) {
            return (existing.trimmingCharacters(in: .whitespacesAndNewlines), false)
        }
        let value = generate()
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { return try loadOrCreate(url, generate: generate) }
            throw ConfigurationError("cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw ConfigurationError("cannot write \(url.path)") }
        return (value, true)
    }
}
