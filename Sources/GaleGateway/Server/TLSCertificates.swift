import Foundation
public import Logging
public import NIOSSL
import Synchronization

/// The serving certificate, key and client CAs, read from their PEM files into the TLS context
/// every new connection starts its handshake with.
///
/// ``reload()`` (what SIGHUP does) reads the files again and swaps the context: connections
/// already open keep the context they started with, new connections get the new one. A file that
/// cannot be read or a key that does not match keeps the old context.
public final class TLSCertificates: Sendable {
    private let files: ListenerConfiguration.TLS
    private let logger: Logger
    private let current: Mutex<NIOSSLContext>

    /// Reads the files; throws ``ConfigurationError`` naming the option whose file is bad.
    public init(files: ListenerConfiguration.TLS, logger: Logger) throws {
        self.files = files
        self.logger = logger
        self.current = Mutex(try Self.context(files))
    }

    /// The context for a connection that opens now.
    public var context: NIOSSLContext {
        current.withLock { $0 }
    }

    /// Whether client certificates are required (mutual TLS).
    public var requiresClientCertificates: Bool { files.clientCAFile != nil }

    /// Reads the files again; on success new connections use them, on failure the old ones stay
    /// and the reason is logged. Returns whether the new files were taken.
    @discardableResult
    public func reload() -> Bool {
        do {
            let context = try Self.context(files)
            current.withLock { $0 = context }
            logger.notice("TLS certificates reloaded")
            return true
        } catch {
            logger.error("TLS certificates not reloaded; the previous ones stay in use", metadata: ["reason": "\(error)"])
            return false
        }
    }

    private static func context(_ files: ListenerConfiguration.TLS) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateFile.path)
        } catch {
            throw ConfigurationError("--tls-cert: cannot read a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw ConfigurationError("--tls-cert: the file holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.privateKeyFile.path, format: .pem)
        } catch {
            throw ConfigurationError("--tls-key: cannot read a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let clientCAFile = files.clientCAFile {
            let authorities: [NIOSSLCertificate]
            do {
                authorities = try NIOSSLCertificate.fromPEMFile(clientCAFile.path)
            } catch {
                throw ConfigurationError("--tls-client-ca: cannot read PEM certificates (\(error))")
            }
            guard !authorities.isEmpty else { throw ConfigurationError("--tls-client-ca: the file holds no certificate") }
            configuration.trustRoots = .certificates(authorities)
            // Clients are identified by their chain to these CAs, not by a host name.
            configuration.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("--tls-cert/--tls-key: the certificate and key cannot be used together (\(error))")
        }
    }
}
