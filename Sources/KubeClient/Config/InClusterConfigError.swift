/// Why the in-cluster configuration cannot be built. Descriptions name variables and files, never
/// their contents.
public struct InClusterConfigError: Error, Equatable, CustomStringConvertible {
    private enum Value: Equatable {
        case notInCluster
        case invalidVariable(String)
        case unreadable(String)
        case emptyToken(String)
        case invalidCertificateAuthority(String)
    }

    private let value: Value
    private init(_ value: Value) { self.value = value }

    /// `KUBERNETES_SERVICE_HOST` or `KUBERNETES_SERVICE_PORT` is not set: this is not a pod.
    public static var notInCluster: Self { .init(.notInCluster) }
    /// A service variable is set but is not a host name, an IP address or a port.
    public static func invalidVariable(_ name: String) -> Self { .init(.invalidVariable(name)) }
    /// A service-account file cannot be read.
    public static func unreadable(_ path: String) -> Self { .init(.unreadable(path)) }
    /// The token file is empty.
    public static func emptyToken(_ path: String) -> Self { .init(.emptyToken(path)) }
    /// `ca.crt` holds no PEM certificate.
    public static func invalidCertificateAuthority(_ path: String) -> Self { .init(.invalidCertificateAuthority(path)) }

    public var description: String {
        switch value {
        case .notInCluster:
            "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
        case .invalidVariable(let name): "\(name) is not a valid \(name.hasSuffix("PORT") ? "port" : "host")"
        case .unreadable(let path): "cannot read the service account file \(path)"
        case .emptyToken(let path): "the service account token \(path) is empty"
        case .invalidCertificateAuthority(let path): "\(path) does not hold a PEM certificate"
        }
    }
}
