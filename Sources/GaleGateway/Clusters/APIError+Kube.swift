import GaleProtocol
import KubeClient

extension APIError {
    /// What a Kubernetes call is doing, which decides the code of a rejection.
    enum KubeVerb {
        case read, create, update, delete

        var rejectedCode: ErrorCode {
            switch self {
            case .read: .internalError
            case .create: .createFailed
            case .update: .updateFailed
            case .delete: .deleteFailed
            }
        }
    }

    /// The one mapping of Kubernetes failures onto the seed's codes, keeping the apiserver's
    /// own message: a missing namespace 1003, a missing object 1004, forbidden 1005,
    /// unreachable/TLS/timeout 1006, a rejected create, update or delete 1007/1008/1009.
    init(_ error: KubeError, verb: KubeVerb) {
        if error.isNamespaceNotFound {
            self.init(.namespaceNotFound, error.message)
        } else if error.isNotFound {
            self.init(.resourceNotFound, error.message)
        } else if error.isForbidden || error.isUnauthorized {
            self.init(.forbidden, error.message)
        } else if error.isUnreachable {
            self.init(.clusterUnreachable, error.message)
        } else if verb == .read, error.kind == .status, error.code == 400 {
            // The apiserver refused the request itself (a selector it cannot parse): the caller's 1001.
            self.init(.invalidArgument, error.message)
        } else if verb == .read, error.kind == .status, let code = error.code, code >= 500 {
            self.init(.clusterUnreachable, error.message)
        } else {
            self.init(verb.rejectedCode, error.message)
        }
    }
}
