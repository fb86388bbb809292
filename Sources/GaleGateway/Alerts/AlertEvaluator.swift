import Foundation
import GaleJSON
import Logging
import ServiceLifecycle
import Synchronization

/// Evaluates every enabled alert rule on an interval, one evaluation per cluster at a time:
/// the rules of a cluster read its objects from the hub's shared watches (one watch per
/// collection and namespace, however many rules read it, and the same watches the live
/// channels share) and its metrics from the sampler's history. Transitions are written to the
/// rule's history, published on the ``AlertFeed`` and, for firing and resolved alerts, posted
/// to the rule's webhook.
final class AlertEvaluator: Service {
    let store: any ClusterStore
    let hub: WatchHub
    let history: MetricsHistory
    let feed: AlertFeed
    let notifier: WebhookNotifier
    let interval: Duration
    private let logger: Logger
    private let machines = Mutex<[Int64: AlertStateMachine]>([:])

    init(
        store: any ClusterStore, hub: WatchHub, history: MetricsHistory, feed: AlertFeed, notifier: WebhookNotifier,
        interval: Duration, logger: Logger
    ) {
        self.store = store
        self.hub = hub
        self.history = history
        self.feed = feed
        self.notifier = notifier
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        // Graceful shutdown cancels the loop; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.evaluateAll()
                try await Task.sleep(for: self.interval)
            }
        }
    }

    /// One round: every cluster with rules evaluated concurrently.
    func evaluateAll(now: Date = Date()) async {
        let rules: [AlertRule]
        do {
            rules = try await store.allDocuments(.alertRule).compactMap(AlertRule.init)
        } catch {
            logger.error("cannot read the alert rules", metadata: ["error": "\(error)"])
            return
        }
        let byCluster = Dictionary(grouping: rules.filter(\.enabled), by: \.cluster)
        let clusters = Set(byCluster.keys).union(machines.withLock { Set($0.keys) })
        await withTaskGroup(of: Void.self) { group in
            for cluster in clusters {
                group.addTask { await self.evaluate(cluster: cluster, rules: byCluster[cluster] ?? [], now: now) }
            }
        }
    }

    private func evaluate(cluster: Int64, rules: [AlertRule], now: Date) async {
        var registered = true
        do {
            registered = try await store.get(id: cluster) != nil
        } catch {
            return  // the database is down: evaluate next round
        }
        var results: [(AlertRule, [String: String])] = []
        var collections: [WatchKey: [JSONValue]] = [:]
        let sample = history.samples(cluster: cluster).last
        for rule in rules where registered {
            var objects: [JSONValue] = []
            if let resource = AlertConditions.resource(of: rule.condition) {
                let key = WatchKey(cluster: cluster, resource: resource, namespace: rule.namespace)
                if let cached = collections[key] {
                    objects = cached
                } else {
                    do {
                        objects = try await hub.objects(key).objects
                        collections[key] = objects
                    } catch {
                        // Unknown until the watch is back: the rule's alerts stay as they are.
                        logger.debug(
                            "alert rule not evaluated", metadata: ["rule.id": "\(rule.id)", "error": "\(error)"])
                        continue
                    }
                }
            }
            results.append((rule, AlertConditions.matches(rule, objects: objects, sample: sample)))
        }
        let evaluated = Set(results.map(\.0.id))
        let skipped = Set(rules.map(\.id)).subtracting(evaluated)
        let (transitions, current) = machines.withLock { machines in
            var machine = machines[cluster] ?? AlertStateMachine()
            var transitions = machine.retain(rules: evaluated.union(skipped), now: now)
            for (rule, matches) in results {
                transitions += machine.evaluate(rule, matches: matches, now: now)
            }
            machines[cluster] = machine.current.isEmpty && rules.isEmpty ? nil : machine
            return (transitions, machine.current)
        }
        guard !transitions.isEmpty else { return }
        feed.publish(cluster: cluster, transitions: transitions, current: current)
        let webhooks = Dictionary(rules.map { ($0.id, $0.webhook) }, uniquingKeysWith: { first, _ in first })
        for transition in transitions {
            var entry = transition.alert.json
            entry["from"] = transition.from.map { .string($0.rawValue) } ?? .null
            do {
                _ = try await store.appendEntry(.alertHistory, owner: transition.alert.rule, body: entry)
            } catch {
                logger.error("cannot record an alert", metadata: ["rule.id": "\(transition.alert.rule)", "error": "\(error)"])
            }
            if transition.alert.state != .pending, let webhook = webhooks[transition.alert.rule] ?? nil {
                notifier.enqueue(["status": .string(transition.alert.state.rawValue), "alert": entry], to: webhook)
            }
        }
        if !registered { feed.forget(cluster: cluster) }
    }
}
