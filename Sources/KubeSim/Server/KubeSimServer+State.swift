import Foundation
import Logging
import Synchronization

/// The state directory (``KubeSimServer/Configuration/stateDirectory``): restore at start, save as it changes.
extension KubeSimServer {
    /// The file the state directory holds the cluster in.
    public static let stateFileName = StateSnapshot.fileName

    /// Restores the cluster saved in the state directory; `false` when there is none (no directory configured,
    /// or nothing saved yet) and the store is left as it is.
    func restoreState() throws(StateDirectoryError) -> Bool {
        guard let directory = configuration.stateDirectory, let snapshot = try StateSnapshot.load(directory: directory)
        else {
            return false
        }
        store.restore(snapshot)
        logger.info(
            "restored \(snapshot.objectCount) objects at resourceVersion \(snapshot.resourceVersion) from \(directory)")
        return true
    }

    var persister: StatePersister? {
        configuration.stateDirectory.map {
            StatePersister(store: store, directory: $0, interval: configuration.stateSaveInterval, logger: logger)
        }
    }

    /// Saves the store once (so an unusable directory fails the start) and then after every burst of changes. A
    /// store just `restored` from the directory is not written again (the file holds it; for 50,000 pods that is
    /// 100 MB), only checked for being writable.
    func startPersister(restored: Bool = false) throws(StateDirectoryError) {
        guard let persister, runtime.withLock({ $0.persister == nil }) else { return }
        let saved: Int
        if restored {
            try persister.checkWritable()
            saved = store.currentResourceVersion
        } else {
            saved = try persister.save()
        }
        runtime.withLock { state in
            // Unstructured task: owned by `runtime.persister`; `stopPersister()` cancels it and awaits its end.
            state.persister = Task { await persister.run(savedVersion: saved) }
        }
    }

    /// Stops the background saving and saves what changed since its last write.
    func stopPersister() async {
        let task = runtime.withLock { state -> Task<Int, Never>? in
            defer { state.persister = nil }
            return state.persister
        }
        guard let task, let persister else { return }
        task.cancel()
        let saved = await task.value
        guard store.currentResourceVersion != saved else { return }
        do {
            try persister.save()
        } catch {
            logger.error("\(error)")
        }
    }
}
