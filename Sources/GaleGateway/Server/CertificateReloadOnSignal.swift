import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificates on every SIGHUP until graceful shutdown.
struct CertificateReloadOnSignal: Service {
    let certificates: TLSCertificates

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                certificates.reload()
            }
        }
    }
}
