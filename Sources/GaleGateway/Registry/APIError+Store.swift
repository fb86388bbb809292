import GaleJSON
import GaleProtocol

extension APIError {
    /// The registry's database cannot be reached (down, restarting, or the network to it cut):
    /// 5001 with words a user can act on, and nothing of the driver, the SQL or the URL.
    static let databaseUnavailable = APIError(
        .internalError, "the gateway's database is unavailable; try again in a moment")
}

extension APIError {
    /// A document store's refusal in the feature's words; `noun` names the document ("template",
    /// "alert rule"). A duplicate name fails the create (1007) or update (1008); a revision
    /// conflict fails the update (1008) with the current revision in `data.revision`.
    static func documentRefused(_ error: DocumentStoreError, noun: String, creating: Bool) -> APIError {
        switch error {
        case .duplicateName(let name):
            APIError(creating ? .createFailed : .updateFailed, "a \(noun) named \"\(name)\" already exists")
        case .revisionConflict(let current):
            APIError(
                .updateFailed, "the \(noun) has changed since the revision you edited; it is now at revision \(current)",
                data: ["revision": .int(current)])
        }
    }
}
