import GaleProtocol

extension APIError {
    /// The registry's database cannot be reached (down, restarting, or the network to it cut):
    /// 5001 with words a user can act on, and nothing of the driver, the SQL or the URL.
    static let databaseUnavailable = APIError(
        .internalError, "the gateway's database is unavailable; try again in a moment")
}
