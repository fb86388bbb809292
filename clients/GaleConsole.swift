public import Foundation

/// The browser side of KubeGale Realtime, shipped with the gateway: the web console
/// (`console/`) and the JavaScript client's modules (from `js/`), copied as this target's resources.
///
/// SwiftPM puts the resources in a folder beside the executable; a deployment copies that
/// folder along with the binary (see `deploy/` and the README).
public enum GaleConsole {
    /// The name of the resource folder SwiftPM writes beside the executable.
    public static let resourceFolderName = "kubegale-realtime_GaleConsole.resources"

    /// The resource folder (holding `console/` and the client's modules) beside the running executable, or
    /// `nil` when it is not there. Looked up by hand rather than through `Bundle.module`,
    /// which stops the process when the folder is missing.
    public static func resourceFolder(besideExecutable executable: URL = Bundle.main.bundleURL) -> URL? {
        let folder = executable.appendingPathComponent(resourceFolderName, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return nil }
        return folder
    }
}
