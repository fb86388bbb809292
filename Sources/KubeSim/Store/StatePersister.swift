import Foundation
import Logging

/// Keeps a state directory up to date with the store: one save after each burst of changes (at most one per
/// `interval`), and a last one when the simulator stops.
struct StatePersister: Sendable {
    let store: ObjectStore
    let directory: String
    let interval: Duration
    let logger: Logger

    /// Writes the store now; returns the resourceVersion saved.
    @discardableResult
    func save() throws(StateDirectoryError) -> Int {
        let snapshot = store.snapshot()
        try snapshot.write(directory: directory)
        return snapshot.resourceVersion
    }

    /// Fails when the directory does not take new files (the state file is replaced by renaming one over it).
    func checkWritable() throws(StateDirectoryError) {
        let probe = (directory as NSString).appendingPathComponent(".kubesim-write-check-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
            let file = (directory as NSString).appendingPathComponent(StateSnapshot.fileName)
            throw .unwritable(file, "the directory is not writable")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }

    /// Saves whenever the store changed since `savedVersion`, until cancelled; returns the last version saved.
    func run(savedVersion: Int) async -> Int {
        var saved = savedVersion
        for await _ in store.changeNotifications() {
            // Let a burst of changes settle into one write.
            try? await Task.sleep(for: interval)
            if store.currentResourceVersion != saved {
                do {
                    saved = try save()
                } catch {
                    logger.error("\(error)")
                }
            }
            if Task.isCancelled { break }
        }
        return saved
    }
}
