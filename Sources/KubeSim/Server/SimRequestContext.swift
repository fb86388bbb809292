import Hummingbird
import NIOCore

/// Request context that remembers the connection, so long-running streams (watch, log follow) end as soon
/// as the client goes away.
struct SimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    var maxUploadSize: Int { 64 * 1024 * 1024 }
}
