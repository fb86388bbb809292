import Foundation

/// A value guarded by a lock.
///
/// `@unchecked Sendable` is safe because every access to `value` goes through `withLock`,
/// which holds the `NSLock` for the whole closure.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
