import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A client for one Kubernetes API server (one ``KubeTarget``), on AsyncHTTPClient + NIOSSL.
///
/// REST verbs, watch, logs, exec and metrics are in extensions (`KubeClient+REST.swift`, ...).
/// Every failure is a ``KubeError``. Call ``shutdown()`` when done.
public final class KubeClient: Sendable {
    /// Client settings; every field has a default.
    public struct Configuration: Sendable {
        /// Time allowed to open a TCP + TLS connection.
        public var connectTimeout: Duration
        /// Deadline of a whole non-streaming request (watch, logs and exec have none).
        public var requestTimeout: Duration
        /// Largest non-streaming response body accepted.
        public var maxResponseBytes: Int
        /// Longest single watch event line accepted; longer lines fail the watch with a decoding error.
        public var maxWatchLineBytes: Int
        /// Sent as `User-Agent`.
        public var userAgent: String
        /// Retry failed connection attempts until the deadline instead of failing at once.
        public var retryConnectionEstablishment: Bool
        /// Exec output chunks that may wait unread before the connection stops reading.
        public var execOutputWindow: Int
        /// HTTP/1.1 connections kept to the server at once. Every open watch and log stream holds
        /// one for as long as it runs, so a gateway needs far more than a browser's handful
        /// (HTTP/2 servers multiplex them on one connection instead).
        public var maxConnectionsPerHost: Int

        /// Creates a configuration.
        public init(
            connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(30),
            maxResponseBytes: Int = 256 << 20,
            maxWatchLineBytes: Int = 16 << 20,
            userAgent: String = "kubegale/1.0",
            retryConnectionEstablishment: Bool = false,
            execOutputWindow: Int = 16,
            maxConnectionsPerHost: Int = 256
        ) {
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.maxWatchLineBytes = maxWatchLineBytes
            self.userAgent = userAgent
            self.retryConnectionEstablishment = retryConnectionEstablishment
            self.execOutputWindow = Swift.max(1, execOutputWindow)
            self.maxConnectionsPerHost = Swift.max(1, maxConnectionsPerHost)
        }
    }

    /// The server and credentials this client talks to.
    public let target: KubeTarget
    /// Whom requests are made for; `nil` makes them as the kubeconfig's own user.
    public let impersonation: KubeImpersonation?
    /// The settings in use.
    public let configuration: Configuration
    let httpClient: HTTPClient
    let tls: KubeTLS
    let logger: Logger
    /// The URL requests are sent to: the server's, with the host replaced by `tls-server-name` when set
    /// (the real host is then reached through AsyncHTTPClient's `dnsOverride`, so SNI and hostname
    /// verification use the name the kubeconfig asks for).
    let requestBase: URL

    /// Creates a client for a target. Throws ``KubeconfigError`` when the TLS material cannot be used.
    public init(
        target: KubeTarget,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "kubegale.kubeclient")
    ) throws {
        self.target = target
        self.impersonation = nil
        self.configuration = configuration
        self.logger = logger
        self.tls = try KubeTLS(target: target)
        var base = target.server
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .init(configuration.connectTimeout), read: nil)
        httpConfiguration.connectionPool.retryConnectionEstablishment = configuration.retryConnectionEstablishment
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maxConnectionsPerHost
        httpConfiguration.redirectConfiguration = .disallow
        if let serverName = target.tls.serverName, let host = target.server.host, serverName != host,
            var components = URLComponents(url: target.server, resolvingAgainstBaseURL: false)
        {
            components.host = serverName
            if let rewritten = components.url {
                base = rewritten
                httpConfiguration.dnsOverride = [serverName: host]
            }
        }
        self.requestBase = base
        httpConfiguration.tlsConfiguration = tls.base
        self.httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    private init(_ client: KubeClient, impersonation: KubeImpersonation?) {
        self.target = client.target
        self.impersonation = impersonation
        self.configuration = client.configuration
        self.httpClient = client.httpClient
        self.tls = client.tls
        self.logger = client.logger
        self.requestBase = client.requestBase
    }

    /// A client making the same calls for `user` (impersonation headers on every request), sharing
    /// this client's connections; `nil` makes them as the kubeconfig's user again. Only the client
    /// created with ``init(target:configuration:logger:)`` is shut down: its views share its pool.
    public func impersonating(_ user: KubeImpersonation?) -> KubeClient {
        user == impersonation ? self : KubeClient(self, impersonation: user)
    }

    /// Closes every connection. Streams still running fail.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// Builds the full URL of an API path with its query.
    func url(path: String, query: [(String, String)] = []) -> String {
        var text = requestBase.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += path
        if !query.isEmpty {
            text += "?" + query.map { "\(Self.encodeQuery($0.0))=\(Self.encodeQuery($0.1))" }.joined(separator: "&")
        }
        return text
    }

    static func encodeQuery(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Sends a request with authentication; retries once after a 401 when exec credentials can be refreshed.
    /// Returns the response head and streaming body; non-2xx answers are turned into ``KubeError``.
    func send(
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil,
        accept: String = "application/json",
        streaming: Bool = false,
        timeout: Duration? = nil
    ) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            let authorization: KubeCredentials.Authorization
            do {
                authorization = try await target.credentials.authorization()
            } catch let error as KubeconfigError {
                throw KubeError.unauthorized("cannot obtain credentials: \(error)")
            }
            var request = HTTPClientRequest(url: url(path: path, query: query))
            request.method = method
            request.headers.add(name: "Accept", value: accept)
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            if let header = authorization.header { request.headers.add(name: "Authorization", value: header) }
            for (name, value) in try impersonation?.headers() ?? [] { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            if let certificate = authorization.clientCertificatePEM, let key = authorization.clientKeyPEM {
                request.tlsConfiguration = try tls.with(clientCertificatePEM: certificate, keyPEM: key)
            }
            let response: HTTPClientResponse
            do {
                if streaming {
                    response = try await httpClient.execute(request, deadline: .distantFuture, logger: logger)
                } else {
                    response = try await httpClient.execute(
                        request, timeout: .init(timeout ?? configuration.requestTimeout), logger: logger)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw Self.transportError(error)
            }
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return response }
            let errorBody = try await collect(response.body, limit: 1 << 20)
            if code == 401, attempt == 1, await target.credentials.invalidate() {
                continue
            }
            throw KubeError.fromResponse(code: code, body: errorBody)
        }
    }

    /// Sends a request and returns the whole body of a 2xx response.
    func sendForBody(
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil,
        accept: String = "application/json",
        timeout: Duration? = nil
    ) async throws -> [UInt8] {
        let response = try await send(
            method, path: path, query: query, body: body, contentType: contentType, accept: accept, timeout: timeout)
        return try await collect(response.body, limit: configuration.maxResponseBytes)
    }

    /// Sends a request and parses the JSON body of a 2xx response.
    func sendForJSON(
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        body: KubeJSON? = nil,
        contentType: String? = nil,
        timeout: Duration? = nil
    ) async throws -> KubeJSON {
        let bytes = try await sendForBody(
            method, path: path, query: query, body: body.map { Array($0.jsonData()) }, contentType: contentType,
            timeout: timeout)
        do {
            return try KubeJSON(parsing: bytes)
        } catch {
            throw KubeError.decoding("the response to \(method) \(path) is not JSON")
        }
    }

    func collect(_ body: HTTPClientResponse.Body, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as KubeError {
            throw error
        } catch {
            throw Self.transportError(error)
        }
    }

    /// Maps a transport failure (connect, DNS, TLS, timeout, reset) to ``KubeError/Kind/unreachable``
    /// with a message a person can read: the libraries' own descriptions name their internal types.
    static func transportError(_ error: any Error) -> KubeError {
        if let error = error as? KubeError { return error }
        if error is NIOTooManyBytesError { return .decoding("the response is larger than the configured limit") }
        return .unreachable(transportReason(error))
    }

    static func transportReason(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connecting to the API server timed out"
            case .deadlineExceeded, .readTimeout: return "the API server did not answer in time"
            case .remoteConnectionClosed: return "the API server closed the connection"
            case .cancelled: return "the request was cancelled"
            case .alreadyShutdown: return "the connection to the API server was shut down"
            default: return "the connection to the API server failed"
            }
        case let error as IOError:
            return "cannot reach the API server: \(String(cString: strerror(error.errnoCode)).lowercased())"
        case is NIOConnectionError:
            return "cannot connect to the API server (connection refused or unreachable)"
        case is NIOSSLError, is NIOSSLExtraError:
            return "the TLS handshake with the API server failed"
        default:
            return "the connection to the API server failed"
        }
    }
}
