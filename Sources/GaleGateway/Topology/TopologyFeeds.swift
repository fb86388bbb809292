import Logging

/// The live topologies of the gateway, one ``TopologyFeed`` per cluster and namespace, shared by
/// every channel that shows it and stopped when the last one leaves.
actor TopologyFeeds {
    private struct Entry {
        let starting: Task<TopologyFeed, any Error>
        var users: Int
    }

    private var entries: [TopologyFeed.Key: Entry] = [:]

    /// Feeds running now.
    var count: Int { entries.count }

    /// The feed of `key`, started when nobody shows it yet; pair with ``release(_:)``.
    func acquire(
        _ key: TopologyFeed.Key, hub: WatchHub, mailboxBounds: (conflateAfter: Int, limit: Int), logger: Logger
    ) async throws -> TopologyFeed {
        if entries[key] == nil {
            // Awaited by every acquirer of the key; its result is kept in the entry.
            let starting = Task {
                let feed = TopologyFeed(key: key, hub: hub, logger: logger)
                try await feed.start(mailboxBounds: mailboxBounds)
                return feed
            }
            entries[key] = Entry(starting: starting, users: 0)
        }
        entries[key]!.users += 1
        let starting = entries[key]!.starting
        do {
            return try await starting.value
        } catch {
            await release(key, starting: starting)
            throw error
        }
    }

    /// One user of `key` left; the last one stops the feed.
    func release(_ key: TopologyFeed.Key) async {
        guard let entry = entries[key] else { return }
        await release(key, starting: entry.starting)
    }

    private func release(_ key: TopologyFeed.Key, starting: Task<TopologyFeed, any Error>) async {
        guard var entry = entries[key], entry.starting == starting else { return }
        entry.users -= 1
        guard entry.users <= 0 else {
            entries[key] = entry
            return
        }
        entries[key] = nil
        if let feed = try? await starting.value { await feed.stop() }
    }
}
