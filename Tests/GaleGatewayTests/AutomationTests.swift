import Foundation
import GaleJSON
import KubeClient
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import GaleGateway

/// Issue 15 point 6, automation tasks: the refusals first (roles, scopes, the creator's identity
/// upstream, bad input), then cron schedules alone, then tasks through the real gateway against
/// KubeSim — dry runs, scheduled runs at injected ticks, one run per tick among replicas on SQLite
/// and PostgreSQL, alert-triggered runs, and every action.
@Suite("Automation tasks", .timeLimit(.minutes(3)))
struct AutomationTests {
    static let deployments = ResourceCatalog.standard.resource(named: "deployments")!
    static let nodes = ResourceCatalog.standard.resource(named: "nodes")!
    static let configMaps = ResourceCatalog.standard.resource(named: "configmaps")!
    static let roles = ResourceCatalog.standard.resource(named: "roles")!
    static let roleBindings = ResourceCatalog.standard.resource(named: "rolebindings")!

    /// A schedule whose only tick is 2027-01-01 03:00 UTC: never while the tests run, so only the
    /// injected ticks below run it.
    static let newYear = "0 3 1 1 *"
    static let newYearTick = date("2027-01-01T03:00:00Z")

    // MARK: - Refusals

    @Test("viewers read tasks but neither create nor run them; other clusters' tokens see none and create none")
    func rolesAndScopes() async throws {
        try await SimCluster.with { cluster in
            let id = try await Self.createTask(cluster, Self.scale("api", replicas: 4))
            let viewer = try await cluster.gateway.token(.viewer)
            let (_, read) = try await cluster.gateway.http(.GET, "/automation/tasks/\(id)", token: viewer)
            #expect(read["data"]?["name"] == "scale api")
            #expect(read["data"]?["creator"]?["subject"] == "tester-admin")
            #expect(read["data"]?["creator"]?["groups"] == nil)
            let (_, runs) = try await cluster.gateway.http(.GET, "/automation/tasks/\(id)/runs", token: viewer)
            #expect(runs["data"]?["total"] == 0)
            let (status, created) = try await cluster.send(.POST, "/automation/tasks", Self.scale("web"), token: viewer)
            #expect(created["code"] == 1005)
            #expect(status == 403)
            let (_, ran) = try await cluster.send(
                .POST, "/automation/tasks/\(id)/run", ["dry_run": true], token: viewer)
            #expect(ran["code"] == 1005)
            let (_, changed) = try await cluster.send(.PUT, "/automation/tasks/\(id)", ["replicas": 9], token: viewer)
            #expect(changed["code"] == 1005)
            let (_, deleted) = try await cluster.gateway.http(.DELETE, "/automation/tasks/\(id)", token: viewer)
            #expect(deleted["code"] == 1005)

            let elsewhere = try await cluster.gateway.token(.admin, clusters: .only(["999"]))
            let (_, none) = try await cluster.gateway.http(.GET, "/automation/tasks", token: elsewhere)
            #expect(none["data"]?["total"] == 0)
            let (_, hidden) = try await cluster.gateway.http(.GET, "/automation/tasks/\(id)", token: elsewhere)
            #expect(hidden["code"] == 1004)
            let (_, hiddenRun) = try await cluster.gateway.http(
                .POST, "/automation/tasks/\(id)/run", token: elsewhere, body: ["dry_run": true])
            #expect(hiddenRun["code"] == 1004)
            let (_, foreign) = try await cluster.send(.POST, "/automation/tasks", Self.scale("web"), token: elsewhere)
            #expect(foreign["code"] == 1005)
            let (_, unauthenticated) = try await cluster.gateway.http(.GET, "/automation/tasks", token: nil)
            #expect(unauthenticated["code"] == 2001)
            // Nothing ran: the deployment is as seeded, and no run was logged.
            #expect(try await Self.replicas(cluster, "api") == 2)
            #expect(try await Self.runs(cluster, id)["total"] == 0)
        }
    }

    @Test("an operator can neither run an admin's task nor take it over with more rights than their own")
    func noEscalationThroughTasks() async throws {
        try await SimCluster.with { cluster in
            // The admin's task cordons a node, which the operator role may not do.
            let id = try await Self.createTask(
                cluster,
                [
                    "name": "cordon worker", "action": "cordon", "target": "kubesim-worker2",
                    "schedule": .string(Self.newYear),
                ])
            let operatorToken = try await cluster.gateway.token(.operator)
            let (_, ran) = try await cluster.send(.POST, "/automation/tasks/\(id)/run", [:], token: operatorToken)
            #expect(ran["code"] == 1005)
            #expect(ran["msg"]?.stringValue?.contains("role operator may not run it") == true)
            // Changing it makes the operator the user it runs as: their RBAC refuses the cordon.
            let (_, taken) = try await cluster.send(
                .PUT, "/automation/tasks/\(id)", ["schedule": "0 4 1 1 *"], token: operatorToken)
            #expect(taken["code"] == 1005, "\(taken)")
            let node = try await AlertRuleTests.withKube(cluster) { kube in
                try await kube.get(Self.nodes, namespace: nil, name: "kubesim-worker2")
            }
            #expect(node["spec"]?["unschedulable"] == nil)
            #expect(try await Self.runs(cluster, id)["total"] == 0)
        }
    }

    @Test("a run goes upstream as the task's creator: when the cluster's RBAC stops allowing them, the run fails 1005")
    func runsAsTheCreator() async throws {
        try await SimCluster.with(configure: Self.unboundRoleGroups) { cluster in
            try await AlertRuleTests.withKube(cluster) { kube in
                _ = try await kube.create(
                    Self.roles, namespace: "demo",
                    object: [
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "scaler"],
                        "rules": [
                            [
                                "apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"],
                                "verbs": ["get", "patch"],
                            ]
                        ],
                    ])
                _ = try await kube.create(
                    Self.roleBindings, namespace: "demo",
                    object: [
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                        "metadata": ["name": "scaler-carol"],
                        "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "scaler"],
                        "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "carol"]],
                    ])
            }
            let carol = try await cluster.gateway.gateway.tokens.issue(
                subject: "carol", role: .operator, clusters: .all, ttl: .seconds(600))
            let dave = try await cluster.gateway.gateway.tokens.issue(
                subject: "dave", role: .operator, clusters: .all, ttl: .seconds(600))
            // Dave has no binding: the cluster refuses him the task at once.
            let (_, refused) = try await cluster.send(.POST, "/automation/tasks", Self.scale("api"), token: dave)
            #expect(refused["code"] == 1005, "\(refused)")

            let id = try await Self.createTask(cluster, Self.scale("api", replicas: 3), token: carol)
            let (_, preview) = try await cluster.send(
                .POST, "/automation/tasks/\(id)/run", ["dry_run": true], token: carol)
            #expect(preview["code"] == 0, "\(preview)")
            #expect(preview["data"]?["run_as"] == "carol")

            _ = try await AlertRuleTests.withKube(cluster) { kube in
                try await kube.delete(Self.roleBindings, namespace: "demo", name: "scaler-carol")
            }
            // The admin runs it; it still acts as carol, whom the cluster now refuses.
            let (_, ran) = try await cluster.send(.POST, "/automation/tasks/\(id)/run", [:])
            #expect(ran["code"] == 1005, "\(ran)")
            #expect(ran["data"]?["result"] == "failed")
            #expect(ran["data"]?["run_as"] == "carol")
            #expect(ran["data"]?["requested_by"] == "tester-admin")
            #expect(try await Self.replicas(cluster, "api") == 2)
            let log = try await Self.runs(cluster, id)
            #expect(log["items"]?[0]?["code"] == 1005)
            #expect(log["items"]?[1]?["trigger"] == "dry-run")
        }
    }

    @Test(
        "a creator whose scope no longer holds the cluster, or whose role changes nothing, has scheduled runs fail 1005"
    )
    func creatorScopeAtRunTime() async throws {
        try await SimCluster.with { cluster in
            let store = cluster.gateway.gateway.registry.store
            let outOfScope = AutomationTask(
                name: "stale scope", cluster: cluster.id, action: .scale, resource: "deployments", namespace: "demo",
                target: "api", replicas: 7, schedule: Self.newYear,
                creator: Principal(
                    subject: "moved", role: .operator, clusters: .only(["999"]), expiresAt: .distantFuture))
            var viewerOnly = outOfScope
            viewerOnly.name = "viewer creator"
            viewerOnly.creator = Principal(subject: "demoted", role: .viewer, clusters: .all, expiresAt: .distantFuture)
            let first = try await store.insertDocument(.automationTask, name: outOfScope.name, body: outOfScope.body)
            let second = try await store.insertDocument(.automationTask, name: viewerOnly.name, body: viewerOnly.body)

            let runs = await cluster.gateway.gateway.automation.tick(at: Self.newYearTick)
            #expect(runs.count == 2)
            #expect(runs.allSatisfy { $0["result"] == "failed" && $0["code"] == 1005 })
            #expect(try await Self.replicas(cluster, "api") == 2)
            for id in [first.id, second.id] {
                let log = try await Self.runs(cluster, id)
                #expect(log["items"]?[0]?["trigger"] == "scheduled")
                #expect(log["items"]?[0]?["code"] == 1005)
            }
            #expect(cluster.gateway.logs.text.contains("automation task failed"))
        }
    }

    @Test(
        "every bad field is 1001 and nothing is stored; a missing rule or template is 1004; names and revisions conflict"
    )
    func validation() async throws {
        try await SimCluster.with { cluster in
            let bad: [JSONValue] = [
                Self.scale("api", schedule: "61 * * * *"),
                Self.scale("api", schedule: "* * * *"),
                Self.scale("api", schedule: "*/0 * * * *"),
                Self.scale("api", schedule: "5-1 * * * *"),
                Self.scale("api", schedule: "0 0 32 * *"),
                Self.scale("api", schedule: "0 0 * * mon", timeZone: "Mars/Olympus"),
                Self.scale("api", schedule: "0 0 * * *", timeZone: ""),
                Self.scale("api", replicas: 10_001),
                Self.scale("api", replicas: -1),
                ["name": "x", "action": "delete", "target": "api", "namespace": "demo", "schedule": "* * * * *"],
                [
                    "name": "x", "action": "scale", "resource": "daemonsets", "target": "a", "namespace": "demo",
                    "replicas": 1, "schedule": "* * * * *",
                ],
                ["name": "x", "action": "restart", "target": "a/b", "namespace": "demo", "schedule": "* * * * *"],
                ["name": "x", "action": "restart", "target": "api", "schedule": "* * * * *"],
                ["name": "x", "action": "restart", "target": "api", "namespace": "Demo!", "schedule": "* * * * *"],
                ["name": "x", "action": "cordon", "schedule": "* * * * *"],
                ["name": "x", "action": "apply_template", "template_id": -3, "schedule": "* * * * *"],
                [
                    "name": "x", "action": "apply_template", "template_id": -3, "namespace": "demo", "values": [1],
                    "schedule": "* * * * *",
                ],
                [
                    "name": "x", "action": "apply_template", "template_id": -3, "namespace": "demo",
                    "values": ["nope": 1], "schedule": "* * * * *",
                ],
                ["name": "x", "action": "restart", "target": "api", "namespace": "demo"],
                [
                    "name": "x", "action": "restart", "target": "api", "namespace": "demo", "schedule": "* * * * *",
                    "alert_rule_id": 1,
                ],
                ["name": "", "action": "restart", "target": "api", "namespace": "demo", "schedule": "* * * * *"],
                ["name": "a;b", "action": "restart", "target": "api", "namespace": "demo", "schedule": "* * * * *"],
            ]
            for body in bad {
                let (status, refused) = try await cluster.send(.POST, "/automation/tasks", body)
                #expect(refused["code"] == 1001, "\(body) → \(refused)")
                #expect(status == 400)
            }
            let (_, noRule) = try await cluster.send(
                .POST, "/automation/tasks",
                ["name": "x", "action": "restart", "target": "api", "namespace": "demo", "alert_rule_id": 424_242])
            #expect(noRule["code"] == 1004)
            let (_, noTemplate) = try await cluster.send(
                .POST, "/automation/tasks",
                [
                    "name": "x", "action": "apply_template", "template_id": 424_242, "namespace": "demo",
                    "schedule": "* * * * *",
                ])
            #expect(noTemplate["code"] == 1004)
            let (_, listed) = try await cluster.gateway.http(.GET, "/automation/tasks", token: cluster.admin)
            #expect(listed["data"]?["total"] == 0)

            let id = try await Self.createTask(cluster, Self.scale("api"))
            let (_, duplicate) = try await cluster.send(.POST, "/automation/tasks", Self.scale("api"))
            #expect(duplicate["code"] == 1007)
            let (_, updated) = try await cluster.send(.PUT, "/automation/tasks/\(id)", ["replicas": 6, "revision": 1])
            #expect(updated["data"]?["replicas"] == 6)
            #expect(updated["data"]?["schedule"] == .string(Self.newYear))
            #expect(updated["data"]?["revision"] == 2)
            let (_, stale) = try await cluster.send(.PUT, "/automation/tasks/\(id)", ["replicas": 7, "revision": 1])
            #expect(stale["code"] == 1008)
            #expect(stale["data"]?["revision"] == 2)
            let (_, badUpdate) = try await cluster.send(.PUT, "/automation/tasks/\(id)", ["schedule": "every day"])
            #expect(badUpdate["code"] == 1001)
        }
    }

    // MARK: - Cron schedules

    @Test("fields, ranges, steps, lists and names")
    func cronFields() throws {
        let workHours = try CronSchedule("*/15 9-17 * * mon-fri")
        #expect(workHours.matches(Self.date("2026-12-07T09:15:00Z")))  // a Monday
        #expect(workHours.matches(Self.date("2026-12-07T17:45:59Z")))
        #expect(!workHours.matches(Self.date("2026-12-07T09:16:00Z")))
        #expect(!workHours.matches(Self.date("2026-12-07T18:00:00Z")))
        #expect(!workHours.matches(Self.date("2026-12-05T10:00:00Z")))  // a Saturday
        let sundays = try CronSchedule("0 0 * * 7")
        #expect(sundays.matches(Self.date("2026-12-06T00:00:00Z")))
        #expect(try CronSchedule("0 0 * * 0").matches(Self.date("2026-12-06T00:00:00Z")))
        let lists = try CronSchedule("5,10-12,50-59/5 * * jan,dec *")
        #expect(
            [5, 10, 11, 12, 50, 55].allSatisfy {
                lists.matches(Self.date("2026-12-07T01:\(String(format: "%02d", $0)):00Z"))
            })
        #expect(
            ![0, 9, 13, 51, 56].contains { lists.matches(Self.date("2026-12-07T01:\(String(format: "%02d", $0)):00Z")) }
        )
        #expect(!lists.matches(Self.date("2026-11-07T01:05:00Z")))
        for text in [
            "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "1-2-3 * * * *",
            "a * * * *", "* * * * * *", "",
        ] {
            #expect(throws: APIError.self, "\(text)") { try CronSchedule(text) }
        }
    }

    @Test("day of month and day of week: either matches when both are restricted, both must when one starts with *")
    func cronDayRule() throws {
        let either = try CronSchedule("0 12 13 * 5")  // the 13th, and every Friday
        #expect(either.matches(Self.date("2026-12-04T12:00:00Z")))  // Friday the 4th
        #expect(either.matches(Self.date("2026-12-13T12:00:00Z")))  // Sunday the 13th
        #expect(!either.matches(Self.date("2026-12-05T12:00:00Z")))
        let both = try CronSchedule("0 12 */2 * 5")  // odd days that are Fridays
        #expect(!both.matches(Self.date("2026-12-04T12:00:00Z")))  // Friday the 4th: even
        #expect(both.matches(Self.date("2026-12-11T12:00:00Z")))  // Friday the 11th
        #expect(!both.matches(Self.date("2026-12-13T12:00:00Z")))  // the 13th, a Sunday
        let weekdaysOnly = try CronSchedule("0 12 * * 5")
        #expect(weekdaysOnly.matches(Self.date("2026-12-04T12:00:00Z")))
        #expect(!weekdaysOnly.matches(Self.date("2026-12-13T12:00:00Z")))
    }

    @Test("time zones, and daylight saving time: a skipped fixed time runs once after the change, a repeated one once")
    func cronTimeZones() throws {
        let tokyo = try CronSchedule("0 9 * * *", timeZone: "Asia/Tokyo")
        #expect(tokyo.matches(Self.date("2026-12-07T00:00:00Z")))
        #expect(!tokyo.matches(Self.date("2026-12-07T09:00:00Z")))
        let india = try CronSchedule("30 9 * * *", timeZone: "Asia/Kolkata")  // UTC+5:30
        #expect(india.matches(Self.date("2026-12-07T04:00:00Z")))

        // Europe/Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
        let skipped = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        let spring = Self.ticks(skipped, day: "2027-03-28")
        #expect(spring == [Self.date("2027-03-28T01:00:00Z")])
        #expect(Self.ticks(skipped, day: "2027-03-29") == [Self.date("2027-03-29T00:30:00Z")])
        // A wildcard schedule follows the wall clock: every half hour, the change notwithstanding.
        let halfHours = try CronSchedule("*/30 * * * *", timeZone: "Europe/Berlin")
        #expect(Self.ticks(halfHours, day: "2027-03-28").count == 48)

        // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice.
        let repeated = Self.ticks(skipped, day: "2026-10-25")
        #expect(repeated == [Self.date("2026-10-25T00:30:00Z")])
        let hourly = try CronSchedule("30 * * * *", timeZone: "Europe/Berlin")
        #expect(hourly.matches(Self.date("2026-10-25T00:30:00Z")))
        #expect(hourly.matches(Self.date("2026-10-25T01:30:00Z")))
        // New York too (2027-03-14 02:00 EST → 03:00 EDT at 07:00 UTC).
        let newYork = try CronSchedule("15 2 * * *", timeZone: "America/New_York")
        #expect(Self.ticks(newYork, day: "2027-03-14") == [Self.date("2027-03-14T07:00:00Z")])
    }

    // MARK: - Through the gateway

    @Test("CRUD and paging; a dry run previews the scale, changes nothing and is logged")
    func crudAndDryRun() async throws {
        try await SimCluster.with { cluster in
            let id = try await Self.createTask(cluster, Self.scale("api", replicas: 5))
            _ = try await Self.createTask(cluster, Self.scale("nginx", replicas: 1))
            _ = try await Self.createTask(
                cluster,
                [
                    "name": "restart web", "action": "restart", "resource": "deployments", "namespace": "staging",
                    "target": "web", "schedule": "0 6 * * *", "time_zone": "Europe/Berlin", "enabled": false,
                ])
            let (_, first) = try await cluster.gateway.http(
                .GET, "/automation/tasks?page=1&pageSize=2", token: cluster.admin)
            #expect(first["data"]?["total"] == 3)
            #expect(first["data"]?["items"]?.arrayValue?.count == 2)
            let (_, second) = try await cluster.gateway.http(
                .GET, "/automation/tasks?page=2&pageSize=2", token: cluster.admin)
            #expect(second["data"]?["items"]?[0]?["name"] == "restart web")
            #expect(second["data"]?["items"]?[0]?["time_zone"] == "Europe/Berlin")
            #expect(second["data"]?["items"]?[0]?["enabled"] == false)
            let (_, search) = try await cluster.gateway.http(
                .GET, "/automation/tasks?keyword=SCALE", token: cluster.admin)
            #expect(search["data"]?["total"] == 2)

            let (_, preview) = try await cluster.send(.POST, "/automation/tasks/\(id)/run", ["dry_run": true])
            #expect(preview["code"] == 0, "\(preview)")
            let details = preview["data"]?["details"]
            #expect(preview["data"]?["trigger"] == "dry-run")
            #expect(details?["dry_run"] == true)
            #expect(details?["current"]?["spec"]?["replicas"] == 2)
            #expect(details?["planned"]?["spec"]?["replicas"] == 5)
            #expect(details?["changes"] == true)
            #expect(details?["request"]?["method"] == "PATCH")
            #expect(details?["request"]?["path"] == "/apis/apps/v1/namespaces/demo/deployments/api/scale")
            #expect(details?["request"]?["body"] == ["spec": ["replicas": 5]])
            #expect(try await Self.replicas(cluster, "api") == 2)
            let log = try await Self.runs(cluster, id)
            #expect(log["total"] == 1)
            #expect(log["items"]?[0]?["result"] == "succeeded")

            // An operator's change makes the task run as that operator from now on.
            let operatorToken = try await cluster.gateway.token(.operator)
            let (_, taken) = try await cluster.send(
                .PUT, "/automation/tasks/\(id)", ["replicas": 3], token: operatorToken)
            #expect(taken["data"]?["creator"]?["subject"] == "tester-operator")
            #expect(taken["data"]?["creator"]?["role"] == "operator")
            let (_, rerun) = try await cluster.send(.POST, "/automation/tasks/\(id)/run", ["dry_run": true])
            #expect(rerun["data"]?["run_as"] == "tester-operator")
            #expect(rerun["data"]?["details"]?["planned"]?["spec"]?["replicas"] == 3)

            let (_, deleted) = try await cluster.gateway.http(.DELETE, "/automation/tasks/\(id)", token: cluster.admin)
            #expect(deleted["code"] == 0)
            let (_, gone) = try await cluster.gateway.http(.GET, "/automation/tasks/\(id)", token: cluster.admin)
            #expect(gone["code"] == 1004)
        }
    }

    @Test("a scheduled scale runs at its tick only, once, and is logged; disabled tasks never run")
    func scheduledScale() async throws {
        try await SimCluster.with { cluster in
            let scheduler = cluster.gateway.gateway.automation
            let id = try await Self.createTask(cluster, Self.scale("api", replicas: 5))
            var disabled = Self.scale("nginx", replicas: 1)
            disabled["enabled"] = false
            _ = try await Self.createTask(cluster, disabled)

            #expect(await scheduler.tick(at: Self.newYearTick.addingTimeInterval(-60)).isEmpty)
            #expect(try await Self.replicas(cluster, "api") == 2)
            let runs = await scheduler.tick(at: Self.newYearTick.addingTimeInterval(42))
            #expect(runs.count == 1)
            #expect(runs.first?["result"] == "succeeded", "\(runs)")
            #expect(try await Self.replicas(cluster, "api") == 5)
            #expect(try await Self.replicas(cluster, "nginx") == 3)
            // The same tick again (a second pass, or another replica): claimed already.
            #expect(await scheduler.tick(at: Self.newYearTick).isEmpty)
            let log = try await Self.runs(cluster, id)
            #expect(log["total"] == 1)
            #expect(log["items"]?[0]?["trigger"] == "scheduled")
            #expect(log["items"]?[0]?["tick"] == "2027-01-01T03:00:00Z")
            #expect(log["items"]?[0]?["code"] == 0)
            #expect(log["items"]?[0]?["details"]?["current"]?["spec"]?["replicas"] == 2)
        }
    }

    @Test("SQLite: two schedulers on one store (two replicas) run a tick once")
    func twoSchedulersSQLite() async throws {
        try await SimCluster.with { cluster in
            let first = cluster.gateway.gateway.automation
            let second = AutomationScheduler(
                store: first.store, runner: first.runner, feed: AlertFeed(), configuration: .init(),
                logger: Logger(label: "second-replica"))
            let id = try await Self.createTask(cluster, Self.scale("api", replicas: 4))
            let total = await Self.race([first, second], at: Self.newYearTick)
            #expect(total == 1)
            #expect(try await Self.runs(cluster, id)["total"] == 1)
            #expect(try await Self.replicas(cluster, "api") == 4)
        }
    }

    @Test(
        "PostgreSQL: two gateways on one database run a tick once",
        .enabled(if: TestDatabase.enabled))
    func twoReplicasPostgres() async throws {
        try await TestDatabase.with { database in
            let location = try DatabaseLocation.postgres(url: database.url)
            let sealKey = KubeconfigSealer.generateKey()
            let shared: (inout GatewayConfiguration) -> Void = { configuration in
                configuration.database = location
                configuration.sealKey = sealKey
            }
            try await SimCluster.with(configure: shared) { cluster in
                try await TestGateway.with(configure: shared) { other in
                    let id = try await Self.createTask(cluster, Self.scale("api", replicas: 6))
                    let total = await Self.race(
                        [cluster.gateway.gateway.automation, other.gateway.automation], at: Self.newYearTick)
                    #expect(total == 1)
                    let (_, log) = try await other.http(.GET, "/automation/tasks/\(id)/runs", token: cluster.admin)
                    #expect(log["data"]?["total"] == 1)
                    #expect(try await Self.replicas(cluster, "api") == 6)
                }
            }
        }
    }

    @Test("a task on an alert rule restarts the workload when the rule fires, once for the firing")
    func alertTriggeredRestart() async throws {
        try await SimCluster.with(configure: AlertRuleTests.fast) { cluster in
            try await AlertRuleTests.withKube(cluster) { kube in
                try await AlertRuleTests.runningPod("crasher", namespace: "alerting", kube: kube)
                let rule = try await AlertRuleTests.createRule(
                    cluster, ["name": "loops", "condition": "crash_loop", "namespace": "alerting"])
                let id = try await Self.createTask(
                    cluster,
                    [
                        "name": "restart nginx", "action": "restart", "namespace": "demo", "target": "nginx",
                        "alert_rule_id": .int(rule),
                    ])
                #expect(cluster.gateway.gateway.automation.isListening(cluster: cluster.id))
                try await AlertRuleTests.crashLoop("crasher", namespace: "alerting", restarts: 2, kube: kube)
                try await cluster.eventually {
                    try await Self.runs(cluster, id)["total"] == 1
                }
                let log = try await Self.runs(cluster, id)
                #expect(log["items"]?[0]?["trigger"] == "alert")
                #expect(log["items"]?[0]?["result"] == "succeeded", "\(log)")
                #expect(log["items"]?[0]?["alert"]?["rule_id"] == .int(rule))
                #expect(log["items"]?[0]?["alert"]?["target"] == "Pod/alerting/crasher")
                let deployment = try await kube.get(Self.deployments, namespace: "demo", name: "nginx")
                let stamp = deployment["spec"]?["template"]?["metadata"]?["annotations"]?[AutomationRunner.restartedAt]
                #expect(stamp?.stringValue != nil)
                #expect(
                    log["items"]?[0]?["details"]?["planned"]?["spec"]?["template"]?["metadata"]?["annotations"]?[
                        AutomationRunner.restartedAt] == stamp)
                // The same firing seen again (another replica's evaluator) is claimed: no second run.
                let alert = try #require(cluster.gateway.gateway.automation.feed.current(cluster: cluster.id).first)
                #expect(await cluster.gateway.gateway.automation.alertFired(alert).isEmpty)
                #expect(try await Self.runs(cluster, id)["total"] == 1)
            }
        }
    }

    @Test("manual runs of a cordon and of a template apply, as the admin who created them")
    func cordonAndTemplate() async throws {
        try await SimCluster.with { cluster in
            let cordon = try await Self.createTask(
                cluster,
                [
                    "name": "cordon worker", "action": "cordon", "target": "kubesim-worker2",
                    "schedule": .string(Self.newYear),
                ])
            let (_, preview) = try await cluster.send(.POST, "/automation/tasks/\(cordon)/run", ["dry_run": "true"])
            #expect(preview["data"]?["details"]?["current"] == ["spec": ["unschedulable": false]])
            #expect(preview["data"]?["details"]?["planned"] == ["spec": ["unschedulable": true]])
            let (_, ran) = try await cluster.send(.POST, "/automation/tasks/\(cordon)/run", [:])
            #expect(ran["code"] == 0, "\(ran)")
            #expect(ran["data"]?["trigger"] == "manual")

            let template = try await Self.createTask(
                cluster,
                [
                    "name": "settings", "action": "apply_template", "template_id": -3, "namespace": "demo",
                    "values": ["name": "automation-settings", "value": "on"], "schedule": .string(Self.newYear),
                ])
            let (_, planned) = try await cluster.send(.POST, "/automation/tasks/\(template)/run", ["dry_run": true])
            #expect(planned["code"] == 0, "\(planned)")
            #expect(planned["data"]?["details"]?["planned"]?[0]?["metadata"]?["name"] == "automation-settings")
            #expect(planned["data"]?["details"]?["applied"] == false)
            let runs = await cluster.gateway.gateway.automation.tick(at: Self.newYearTick)
            #expect(runs.count == 2)
            #expect(runs.allSatisfy { $0["result"] == "succeeded" }, "\(runs)")

            try await AlertRuleTests.withKube(cluster) { kube in
                let node = try await kube.get(Self.nodes, namespace: nil, name: "kubesim-worker2")
                #expect(node["spec"]?["unschedulable"] == true)
                let map = try await kube.get(Self.configMaps, namespace: "demo", name: "automation-settings")
                #expect(map["data"]?["config"] == "on")
            }
            // Applying again fails (the object exists): logged with the per-object results.
            let (_, again) = try await cluster.send(.POST, "/automation/tasks/\(template)/run", [:])
            #expect(again["code"] == 1007)
            #expect(again["data"]?["details"]?["results"]?[0]?["ok"] == false)
            #expect(try await Self.runs(cluster, template)["total"] == 3)
        }
    }

    @Test("the service waits for each minute by its clock, and after a stall catches up on the last five ticks only")
    func serviceCatchesUp() async throws {
        try await SimCluster.with { cluster in
            let gateway = cluster.gateway.gateway.automation
            // The first wait oversleeps from 02:50:30 to 03:02:10; later waits take what they ask.
            let clock = ManualClock(
                start: Self.date("2027-01-01T02:50:30Z"), firstWake: Self.date("2027-01-01T03:02:10Z"))
            let scheduler = AutomationScheduler(
                store: gateway.store, runner: gateway.runner, feed: AlertFeed(), configuration: .init(),
                logger: Logger(label: "clocked"), now: { clock.now }, sleep: { try await clock.sleep($0) })
            let due = try await Self.createTask(cluster, Self.scale("api", replicas: 4))
            let missed = try await Self.createTask(cluster, Self.scale("nginx", replicas: 1, schedule: "55 2 1 1 *"))
            // The service as a ServiceGroup would run it; cancelled when the test ends (its normal end).
            let service = Task { try await scheduler.run() }
            defer { service.cancel() }
            try await cluster.eventually { try await Self.runs(cluster, due)["total"] == 1 }
            try await cluster.eventually { clock.now > Self.date("2027-01-01T04:00:00Z") }
            #expect(clock.waits.first == .seconds(30))
            #expect(try await Self.runs(cluster, due)["items"]?[0]?["tick"] == "2027-01-01T03:00:00Z")
            #expect(try await Self.runs(cluster, missed)["total"] == 0)
            #expect(try await Self.replicas(cluster, "api") == 4)
            #expect(try await Self.replicas(cluster, "nginx") == 3)
        }
    }

    // MARK: - Helpers

    /// Role groups nobody binds, and no cached access reviews: only the bindings a test makes give
    /// its users anything, and a revocation shows at once.
    static func unboundRoleGroups(_ configuration: inout GatewayConfiguration) {
        configuration.impersonation.roleGroupPrefix = "unbound:"
        configuration.impersonation.accessReviewTTL = .zero
    }

    static func date(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad date \(text)") }
        return date
    }

    /// The minutes of one UTC day (and the next one's first hours, to see a whole local day) that
    /// are ticks of `schedule`.
    static func ticks(_ schedule: CronSchedule, day: String) -> [Date] {
        let start = date(day + "T00:00:00Z")
        return (0..<1440).map { start.addingTimeInterval(Double($0) * 60) }.filter(schedule.matches)
    }

    /// A scale task of a `demo` Deployment on the new-year schedule.
    static func scale(
        _ target: String, replicas: Int64 = 5, schedule: String = newYear, timeZone: String = "UTC"
    ) -> JSONValue {
        [
            "name": .string("scale \(target)"), "action": "scale", "namespace": "demo", "target": .string(target),
            "replicas": .int(replicas), "schedule": .string(schedule), "time_zone": .string(timeZone),
        ]
    }

    static func createTask(_ cluster: SimCluster, _ fields: JSONValue, token: String? = nil) async throws -> Int64 {
        let (_, created) = try await cluster.send(.POST, "/automation/tasks", fields, token: token)
        guard let id = created["data"]?["id"]?.intValue else { throw TestFailure("cannot create task: \(created)") }
        return id
    }

    static func runs(_ cluster: SimCluster, _ id: Int64) async throws -> JSONValue {
        let (_, runs) = try await cluster.gateway.http(.GET, "/automation/tasks/\(id)/runs", token: cluster.admin)
        return runs["data"] ?? .null
    }

    static func replicas(_ cluster: SimCluster, _ name: String) async throws -> Int64? {
        try await AlertRuleTests.withKube(cluster) { kube in
            try await kube.get(deployments, namespace: "demo", name: name)["spec"]?["replicas"]?.intValue
        }
    }

    /// The schedulers all take the tick at once; returns how many runs they did in all.
    static func race(_ schedulers: [AutomationScheduler], at tick: Date) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for scheduler in schedulers + schedulers {
                group.addTask { await scheduler.tick(at: tick).count }
            }
            return await group.reduce(0, +)
        }
    }
}

/// A clock the test moves: every wait returns at once, having moved the time on by what was asked
/// (the first one to `firstWake`, an oversleep).
final class ManualClock: Sendable {
    private struct State {
        var now: Date
        var firstWake: Date?
        var waits: [Duration] = []
    }

    private let state: Mutex<State>

    init(start: Date, firstWake: Date? = nil) {
        state = Mutex(State(now: start, firstWake: firstWake))
    }

    var now: Date { state.withLock { $0.now } }
    var waits: [Duration] { state.withLock { $0.waits } }

    func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.waits.append(duration)
            if let wake = state.firstWake {
                state.now = wake
                state.firstWake = nil
            } else {
                state.now += AlertStateMachine.seconds(duration)
            }
        }
        await Task.yield()
    }
}
