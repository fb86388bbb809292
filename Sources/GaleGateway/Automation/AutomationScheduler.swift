import Foundation
import GaleJSON
import Logging
import ServiceLifecycle
import Synchronization

/// Runs automation tasks: every minute the enabled tasks whose schedule has that minute as a tick,
/// and, when an alert of a task's rule fires (as the ``AlertFeed`` reports it), the enabled tasks
/// of that rule. Before each run the scheduler claims it in the database (a tick for the task's
/// schedule, or the alert for the cooldown), so that of several replicas sharing the database
/// exactly one runs it.
///
/// Time comes from `now` and waits go through `sleep`, both injected, so tests drive the ticks.
final class AutomationScheduler: Service, Sendable {
    let store: any DocumentStore
    let runner: AutomationRunner
    let feed: AlertFeed
    let configuration: AutomationConfiguration
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    /// The alert feed subscription of each cluster whose rules trigger tasks.
    private let subscriptions = Mutex<[Int64: UUID]>([:])
    /// New subscriptions, for ``run()`` to listen to.
    private let listeners = AsyncStream.makeStream(of: Listener.self)

    /// How long a tick's claim is kept: far beyond the catch-up window, so no replica runs it twice.
    static let tickClaimLifetime: TimeInterval = 86_400
    /// Ticks between two prunings of expired claims and old runs.
    static let pruneEvery = 60

    private struct Listener: Sendable {
        var cluster: Int64
        var id: UUID
        var changes: AsyncStream<AlertFeed.Change>
    }

    init(
        store: any DocumentStore, runner: AutomationRunner, feed: AlertFeed, configuration: AutomationConfiguration,
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.store = store
        self.runner = runner
        self.feed = feed
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.sleep = sleep
    }

    func run() async throws {
        guard configuration.schedulerEnabled else {
            // A service that returns would end the group: wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        // Graceful shutdown cancels the group; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.tickLoop() }
                group.addTask { await self.tasksChanged() }
                for await listener in self.listeners.stream {
                    group.addTask { await self.listen(listener) }
                }
            }
        }
        let ended = subscriptions.withLock { subscriptions in
            defer { subscriptions = [:] }
            return subscriptions
        }
        for (cluster, id) in ended { feed.unsubscribe(cluster: cluster, id: id) }
    }

    /// The minute that contains `date`.
    static func minute(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    /// Waits for each minute and runs its tick; after a stall, catches up on the last
    /// ``AutomationConfiguration/maxCatchUpTicks`` minutes.
    private func tickLoop() async {
        var last = Self.minute(of: now())
        var ticks = 0
        while !Task.isCancelled {
            let wait = last.addingTimeInterval(60).timeIntervalSince(now())
            if wait > 0 {
                do { try await sleep(.milliseconds(Int64((wait * 1000).rounded(.up)))) } catch { return }
            }
            let current = Self.minute(of: now())
            guard current > last else {
                // The clock went back: start again from now (ticks run already stay claimed).
                if current < last { last = current }
                continue
            }
            let catchUp = Double(configuration.maxCatchUpTicks - 1) * 60
            let first = max(last.addingTimeInterval(60), current.addingTimeInterval(-catchUp))
            for tick in stride(from: first.timeIntervalSince1970, through: current.timeIntervalSince1970, by: 60) {
                await self.tick(at: Date(timeIntervalSince1970: tick))
            }
            last = current
            // Tasks changed on other replicas: their alert subscriptions follow within a minute.
            await tasksChanged()
            ticks += 1
            if ticks % Self.pruneEvery == 0 { await prune() }
        }
    }

    /// Runs the enabled scheduled tasks due in the minute of `date`, each only if this call gets
    /// its claim on the tick. Returns the runs done here.
    @discardableResult
    func tick(at date: Date) async -> [JSONValue] {
        let minute = Self.minute(of: date)
        let due = await tasks().filter { task in
            guard task.enabled, let text = task.schedule,
                let schedule = try? CronSchedule(text, timeZone: task.timeZone)
            else { return false }
            return schedule.matches(minute)
        }
        let key = "tick:\(Int64(minute.timeIntervalSince1970))"
        return await withTaskGroup(of: JSONValue?.self) { group in
            for task in due {
                group.addTask {
                    guard
                        await self.claim(
                            task, key: key, now: minute, until: minute.addingTimeInterval(Self.tickClaimLifetime))
                    else { return nil }
                    return await self.runner.run(
                        task, trigger: .scheduled(minute), now: self.now(), logger: self.logger)
                }
            }
            return await group.reduce(into: []) { runs, run in if let run { runs.append(run) } }
        }
    }

    /// Runs the enabled tasks of the alert's rule, each only if this call gets its claim on the
    /// alert's target for the cooldown. Returns the runs done here.
    @discardableResult
    func alertFired(_ alert: AlertStateMachine.Alert) async -> [JSONValue] {
        let start = now()
        let until = start.addingTimeInterval(AlertStateMachine.seconds(configuration.alertCooldown))
        var runs: [JSONValue] = []
        for task in await tasks() where task.enabled && task.alertRule == alert.rule {
            guard await claim(task, key: "alert:\(alert.target)", now: start, until: until) else { continue }
            runs.append(await runner.run(task, trigger: .alert(alert), now: start, logger: logger))
        }
        return runs
    }

    /// Subscribes to the alerts of the clusters whose rules trigger enabled tasks, and drops the
    /// subscriptions no task needs any more. Called at start, when tasks change here, and every
    /// minute (for the changes made on other replicas).
    func tasksChanged() async {
        guard configuration.schedulerEnabled else { return }
        var clusters = Set<Int64>()
        for rule in Set(await tasks().filter(\.enabled).compactMap(\.alertRule)) {
            if let document = try? await store.document(.alertRule, id: rule), let rule = AlertRule(document) {
                clusters.insert(rule.cluster)
            }
        }
        let added = subscriptions.withLock { subscriptions -> [Listener] in
            for (cluster, id) in subscriptions where !clusters.contains(cluster) {
                feed.unsubscribe(cluster: cluster, id: id)
                subscriptions[cluster] = nil
            }
            return clusters.filter { subscriptions[$0] == nil }.map { cluster in
                let (id, _, changes) = feed.subscribe(cluster: cluster)
                subscriptions[cluster] = id
                return Listener(cluster: cluster, id: id, changes: changes)
            }
        }
        for listener in added { listeners.continuation.yield(listener) }
    }

    /// Whether the cluster's alerts are listened to (for tests).
    func isListening(cluster: Int64) -> Bool {
        subscriptions.withLock { $0[cluster] != nil }
    }

    private func listen(_ listener: Listener) async {
        for await change in listener.changes {
            guard case .transition(let transition) = change, transition.alert.state == .firing else { continue }
            await alertFired(transition.alert)
        }
        subscriptions.withLock { subscriptions in
            if subscriptions[listener.cluster] == listener.id { subscriptions[listener.cluster] = nil }
        }
    }

    private func tasks() async -> [AutomationTask] {
        do {
            return try await store.allDocuments(.automationTask).compactMap(AutomationTask.init)
        } catch {
            logger.error("cannot read the automation tasks", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Whether this replica got the claim; a database failure is no claim (nothing runs).
    private func claim(_ task: AutomationTask, key: String, now: Date, until: Date) async -> Bool {
        do {
            return try await store.claim(.automationClaim, owner: task.id, key: key, now: now, until: until)
        } catch {
            logger.error(
                "cannot claim an automation run; not run", metadata: ["task.id": "\(task.id)", "error": "\(error)"])
            return false
        }
    }

    private func prune() async {
        let date = now()
        do {
            try await store.pruneClaims(expiredBefore: date)
            try await store.pruneEntries(
                .automationRun,
                olderThan: date.addingTimeInterval(-AlertStateMachine.seconds(configuration.runRetention)))
        } catch {
            logger.warning("cannot prune automation claims and runs", metadata: ["error": "\(error)"])
        }
    }
}
