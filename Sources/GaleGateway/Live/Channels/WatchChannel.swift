import GaleJSON
import GaleProtocol

/// The body of a `watch` (or `events`) channel: relays a shared watch's items as frames —
/// the snapshot as ADDED events ended by `synced`, then every change, and the upstream's state
/// as `status` frames.
struct WatchChannel: Sendable {
    let hub: WatchHub
    let watch: SharedWatch
    let mailbox: WatchMailbox
    /// The cluster id as `status` frames name it.
    let cluster: String
    /// The subscriber's access, asked again while the channel delivers; `nil` when the gateway's
    /// roles alone decide.
    var access: WatchAccess? = nil

    func run(_ context: ChannelContext) async -> ChannelEnd {
        let watch = self.watch
        let mailbox = self.mailbox
        context.onInput { input in
            if case .resync = input { Task { await watch.resnapshot(mailbox) } }
        }
        let end = await relay(context)
        mailbox.close()
        await watch.unsubscribe(mailbox)
        return end
    }

    private func relay(_ context: ChannelContext) async -> ChannelEnd {
        var accessClock = WatchAccessClock(access)
        while let item = await mailbox.next() {
            if let refusal = await accessClock.refusal() { return .failed(refusal) }
            switch item {
            case .start(let start):
                if start.resync {
                    context.resync(reason: "the resourceVersion is no longer remembered; a fresh snapshot follows")
                }
                for added in start.objects ?? [] {
                    guard await context.event(added) else { return .cancelled }
                }
                for change in start.replay {
                    guard await send(change, context) else { return .cancelled }
                }
                context.synced(resourceVersion: start.resourceVersion)
            case .change(let change):
                guard await send(change, context) else { return .cancelled }
            case .status(let state, let reason):
                context.status(cluster: cluster, state: state.rawValue, reason: reason)
            case .failed(let error):
                return .failed(error)
            }
        }
        return mailbox.isOverflowed ? .overflowed : .cancelled
    }

    private func send(_ change: WatchChange, _ context: ChannelContext) async -> Bool {
        await context.event(change.encoded)
    }
}
