import ArgumentParser
import Foundation
import GaleGateway

/// TLS, mutual TLS, the plain-text guard and HTTP/1 timeouts of `serve`. Every option can also
/// come from `KUBEGALE_<NAME>`.
struct ListenerOptions: ParsableArguments {
    @Option(help: "PEM certificate chain: serve https and wss (reloaded on SIGHUP). [env: KUBEGALE_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert. [env: KUBEGALE_TLS_KEY]")
    var tlsKey: String?

    @Option(help: "PEM CA certificates: require client certificates signed by them (mutual TLS). [env: KUBEGALE_TLS_CLIENT_CA]")
    var tlsClientCa: String?

    @Flag(help: "Allow plain http on a non-loopback address. [env: KUBEGALE_INSECURE_LISTEN=1]")
    var insecureListen = false

    @Option(help: "Seconds an HTTP/1 connection may sit idle between requests; 0 never (default 60). [env: KUBEGALE_HTTP_IDLE_TIMEOUT]")
    var httpIdleTimeout: Int?

    @Option(help: "Seconds a connection has for its TLS handshake and first request head (default 10). [env: KUBEGALE_HEADER_TIMEOUT]")
    var headerTimeout: Int?

    @Option(help: "Connections the kernel queues before the gateway accepts them (default 4096, capped by net.core.somaxconn). [env: KUBEGALE_LISTEN_BACKLOG]")
    var listenBacklog: Int?

    func configuration(_ environment: Environment) throws -> ListenerConfiguration {
        var configuration = ListenerConfiguration()
        let certificate = tlsCert ?? environment["TLS_CERT"]
        let key = tlsKey ?? environment["TLS_KEY"]
        let clientCA = tlsClientCa ?? environment["TLS_CLIENT_CA"]
        switch (certificate, key) {
        case (let certificate?, let key?):
            configuration.tls = .init(
                certificateFile: URL(fileURLWithPath: certificate), privateKeyFile: URL(fileURLWithPath: key),
                clientCAFile: clientCA.map { URL(fileURLWithPath: $0) })
        case (nil, nil):
            guard clientCA == nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        configuration.insecureListen = insecureListen || environment.flag("INSECURE_LISTEN")
        if let seconds = try httpIdleTimeout ?? environment.int("HTTP_IDLE_TIMEOUT") {
            guard seconds >= 0 else { throw ValidationError("--http-idle-timeout must not be negative") }
            configuration.idleTimeout = seconds == 0 ? nil : .seconds(seconds)
        }
        if let seconds = try headerTimeout ?? environment.int("HEADER_TIMEOUT") {
            guard seconds >= 1 else { throw ValidationError("--header-timeout must be at least 1") }
            configuration.headerTimeout = .seconds(seconds)
        }
        if let backlog = try listenBacklog ?? environment.int("LISTEN_BACKLOG") {
            guard backlog >= 1 else { throw ValidationError("--listen-backlog must be at least 1") }
            configuration.backlog = backlog
        }
        return configuration
    }
}
