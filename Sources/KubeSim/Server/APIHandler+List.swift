import Foundation
import GaleJSON
import Hummingbird
import NIOCore

extension APIHandler {
    func filter(_ target: ResourceTarget, query: QueryParameters) throws -> ObjectFilter {
        do {
            return ObjectFilter(
                namespace: target.namespace,
                labelSelector: try LabelSelector(parsing: query["labelSelector"] ?? ""),
                fieldSelector: try FieldSelector(parsing: query["fieldSelector"] ?? ""))
        } catch {
            throw KubeStatusError.badRequest(error.message)
        }
    }

    static func listObject(_ type: ResourceType, items: [JSONValue], metadata: JSONValue) -> JSONValue {
        ["kind": .string("\(type.kind)List"), "apiVersion": .string(type.apiVersion), "metadata": metadata, "items": .array(items)]
    }

    /// GET on a collection, with selectors and `limit`/`continue` paging; a Table when the client asked for one.
    func list(_ target: ResourceTarget, query: QueryParameters, table: TableRequest? = nil) throws -> Response {
        let filter = try filter(target, query: query)
        let limit = query.int("limit").flatMap { $0 > 0 ? $0 : nil }
        var after: String?
        var snapshotVersion: Int?
        if let token = query["continue"], !token.isEmpty {
            guard let data = Data(base64Encoded: token), let decoded = try? JSONParser.parse(Array(data), configuration: .kubeSim),
                let start = decoded["start"]?.stringValue, let version = decoded["rv"]?.integer
            else {
                throw KubeStatusError.badRequest("continue key is not valid: illegal base64 data")
            }
            if version < store.compactedRevision {
                throw KubeStatusError.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            after = start
            snapshotVersion = version
        }
        let page = store.listPage(target.type, filter: filter, limit: limit, after: after)
        let version = snapshotVersion ?? page.resourceVersion
        var metadata: JSONValue = ["resourceVersion": .string(String(version))]
        if let lastKey = page.lastKey {
            let token: JSONValue = ["rv": .int(Int64(version)), "start": .string(lastKey)]
            metadata["continue"] = .string(Data(token.jsonString.utf8).base64EncodedString())
        }
        if let remaining = page.remaining { metadata["remainingItemCount"] = .int(Int64(remaining)) }
        if let table { return Self.json(table.table(target.type, objects: page.items, metadata: metadata)) }
        return Self.json(Self.listObject(target.type, items: page.items, metadata: metadata))
    }

    /// DELETE on a collection.
    func deleteCollection(_ target: ResourceTarget, query: QueryParameters, dryRun: Bool) throws -> Response {
        let filter = try filter(target, query: query)
        var deleted: [JSONValue] = []
        for object in store.list(target.type, filter: filter).items {
            if let result = try? api.delete(
                target.type, namespace: object[path: ["metadata", "namespace"]]?.stringValue,
                name: object[path: ["metadata", "name"]]?.stringValue ?? "", dryRun: dryRun)
            {
                deleted.append(result)
            }
        }
        return Self.json(
            Self.listObject(target.type, items: deleted, metadata: ["resourceVersion": .string(String(store.currentResourceVersion))]))
    }

    /// GET with `watch=1`: a chunked stream of JSON watch events, one per line; with `table`, each event's object is
    /// a one-row Table (column definitions on the first only, as the apiserver sends them).
    func watch(_ target: ResourceTarget, query: QueryParameters, context: SimRequestContext, table: TableRequest? = nil)
        throws -> Response
    {
        let filter = try filter(target, query: query)
        let since = query["resourceVersion"].flatMap { Int($0) }
        let subscription: WatchSubscription
        do {
            subscription = try store.watch(target.type, filter: filter, resourceVersion: since)
        } catch {
            // Like the apiserver's etcd watcher: the 410 arrives as an ERROR event on a 200 stream.
            let line = WatchMessage.error(error).json.jsonString + "\n"
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: line)))
        }
        let store = self.store
        let bookmarks = query.bool("allowWatchBookmarks") && query["allowWatchBookmarks"] != nil
        let interval = configuration.bookmarkInterval
        let timeout = query.int("timeoutSeconds").map { Duration.seconds($0) }
        let streamID = streams.register { store.cancel(subscription) }
        context.channel.closeFuture.whenComplete { _ in store.cancel(subscription) }
        let streams = self.streams
        let body = ResponseBody { writer in
            defer {
                store.cancel(subscription)
                streams.unregister(streamID)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                if bookmarks {
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: interval)
                            store.sendBookmark(subscription)
                        }
                    }
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        store.cancel(subscription)
                    }
                }
                var columns = true
                for await message in subscription.messages {
                    var line = message.json
                    if let table {
                        line = table.watchEvent(message, type: target.type, columns: columns)
                        if case .event = message { columns = false }
                    }
                    var buffer = ByteBuffer(string: line.jsonString)
                    buffer.writeString("\n")
                    try await writer.write(buffer)
                    if case .error = message { break }
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"], body: body)
    }
}
