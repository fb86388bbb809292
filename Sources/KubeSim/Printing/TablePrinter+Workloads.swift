import Foundation
import GaleJSON

/// Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, ControllerRevisions and PodDisruptionBudgets.
extension TablePrinter {
    static let podDisruptionBudgets = TablePrinter(
        [
            .name, TableColumn("Min Available", "The minimum number of pods that must be available."),
            TableColumn("Max Unavailable", "The maximum number of pods that may be unavailable."),
            TableColumn("Allowed Disruptions", "Pods that may be disrupted now.", type: "integer"), .age,
        ]
    ) { budget, now in
        func intOrString(_ value: JSONValue?) -> String {
            guard let value, !value.isNull else { return "N/A" }
            return value.stringValue ?? value.integer.map(String.init) ?? "N/A"
        }
        return [
            PrintFormat.name(budget), .string(intOrString(budget[path: ["spec", "minAvailable"]])),
            .string(intOrString(budget[path: ["spec", "maxUnavailable"]])),
            PrintFormat.intCell(budget[path: ["status", "disruptionsAllowed"]]), PrintFormat.age(budget, now: now),
        ]
    }

    static let deployments = TablePrinter(
        [
            .name, TableColumn("Ready", "Ready pods out of the desired number."),
            TableColumn("Up-to-date", "Pods updated to the latest template."),
            TableColumn("Available", "Pods available to serve."), .age, .containers, .images, .selector,
        ]
    ) { deployment, now in
        let (names, images) = PrintFormat.containers(deployment[path: ["spec", "template", "spec"]])
        let desired = deployment[path: ["spec", "replicas"]]?.integer ?? 1
        return [
            PrintFormat.name(deployment),
            .string("\(PrintFormat.int(deployment[path: ["status", "readyReplicas"]]))/\(desired)"),
            PrintFormat.intCell(deployment[path: ["status", "updatedReplicas"]]),
            PrintFormat.intCell(deployment[path: ["status", "availableReplicas"]]),
            PrintFormat.age(deployment, now: now), names, images,
            .string(PrintFormat.selector(deployment[path: ["spec", "selector"]], emptyText: "")),
        ]
    }

    static let replicaSets = TablePrinter(
        [
            .name, TableColumn("Desired", "Desired number of pods.", type: "integer"),
            TableColumn("Current", "Pods that exist now.", type: "integer"),
            TableColumn("Ready", "Pods that are ready.", type: "integer"),
            .age, .containers, .images, .selector,
        ]
    ) { replicaSet, now in
        let (names, images) = PrintFormat.containers(replicaSet[path: ["spec", "template", "spec"]])
        return [
            PrintFormat.name(replicaSet), .int(Int64(replicaSet[path: ["spec", "replicas"]]?.integer ?? 1)),
            PrintFormat.intCell(replicaSet[path: ["status", "replicas"]]),
            PrintFormat.intCell(replicaSet[path: ["status", "readyReplicas"]]), PrintFormat.age(replicaSet, now: now),
            names,
            images, .string(PrintFormat.selector(replicaSet[path: ["spec", "selector"]])),
        ]
    }

    static let statefulSets = TablePrinter(
        [.name, TableColumn("Ready", "Ready pods out of the desired number."), .age, .containers, .images]
    ) { statefulSet, now in
        let (names, images) = PrintFormat.containers(statefulSet[path: ["spec", "template", "spec"]])
        let desired = statefulSet[path: ["spec", "replicas"]]?.integer ?? 1
        return [
            PrintFormat.name(statefulSet),
            .string("\(PrintFormat.int(statefulSet[path: ["status", "readyReplicas"]]))/\(desired)"),
            PrintFormat.age(statefulSet, now: now), names, images,
        ]
    }

    static let daemonSets = TablePrinter(
        [
            .name, TableColumn("Desired", "Nodes that should run the daemon pod.", type: "integer"),
            TableColumn("Current", "Nodes that run the daemon pod.", type: "integer"),
            TableColumn("Ready", "Nodes whose daemon pod is ready.", type: "integer"),
            TableColumn("Up-to-date", "Nodes that run the updated daemon pod.", type: "integer"),
            TableColumn("Available", "Nodes whose daemon pod is available.", type: "integer"),
            TableColumn("Node Selector", "Node selector of the pod template."), .age, .containers, .images, .selector,
        ]
    ) { daemonSet, now in
        let (names, images) = PrintFormat.containers(daemonSet[path: ["spec", "template", "spec"]])
        let status = daemonSet["status"]
        return [
            PrintFormat.name(daemonSet), PrintFormat.intCell(status?["desiredNumberScheduled"]),
            PrintFormat.intCell(status?["currentNumberScheduled"]), PrintFormat.intCell(status?["numberReady"]),
            PrintFormat.intCell(status?["updatedNumberScheduled"]), PrintFormat.intCell(status?["numberAvailable"]),
            .string(PrintFormat.labels(daemonSet[path: ["spec", "template", "spec", "nodeSelector"]])),
            PrintFormat.age(daemonSet, now: now), names, images,
            .string(PrintFormat.selector(daemonSet[path: ["spec", "selector"]])),
        ]
    }

    static let jobs = TablePrinter(
        [
            .name, TableColumn("Status", "Status of the job."),
            TableColumn("Completions", "Succeeded pods out of the completions."),
            TableColumn("Duration", "Time the job took, or has been running."), .age, .containers, .images, .selector,
        ]
    ) { job, now in
        let succeeded = PrintFormat.int(job[path: ["status", "succeeded"]])
        var completions = "\(succeeded)/1"
        if let wanted = job[path: ["spec", "completions"]]?.integer {
            completions = "\(succeeded)/\(wanted)"
        } else if let parallelism = job[path: ["spec", "parallelism"]]?.integer, parallelism > 1 {
            completions = "\(succeeded)/1 of \(parallelism)"
        }
        var duration = ""
        if let start = job[path: ["status", "startTime"]]?.stringValue.flatMap(KubeTime.parse) {
            let end = job[path: ["status", "completionTime"]]?.stringValue.flatMap(KubeTime.parse) ?? now
            duration = HumanDuration.format(end.timeIntervalSince(start))
        }
        let status: String
        if PrintFormat.hasCondition(job, "Complete") {
            status = "Complete"
        } else if PrintFormat.hasCondition(job, "Failed") {
            status = "Failed"
        } else if job[path: ["metadata", "deletionTimestamp"]] != nil {
            status = "Terminating"
        } else if PrintFormat.hasCondition(job, "Suspended") {
            status = "Suspended"
        } else if PrintFormat.hasCondition(job, "FailureTarget") {
            status = "FailureTarget"
        } else {
            status = "Running"
        }
        let (names, images) = PrintFormat.containers(job[path: ["spec", "template", "spec"]])
        return [
            PrintFormat.name(job), .string(status), .string(completions), .string(duration),
            PrintFormat.age(job, now: now), names,
            images, .string(PrintFormat.selector(job[path: ["spec", "selector"]])),
        ]
    }

    static let cronJobs = TablePrinter(
        [
            .name, TableColumn("Schedule", "The cron schedule."), TableColumn("Timezone", "Time zone of the schedule."),
            TableColumn("Suspend", "Whether new runs are suspended.", type: "boolean"),
            TableColumn("Active", "Jobs running now.", type: "integer"),
            TableColumn("Last Schedule", "Time since the last run started."),
            .age, .containers, .images, .selector,
        ]
    ) { cronJob, now in
        let spec = cronJob["spec"]
        let suspend = spec?["suspend"]?.boolValue.map { $0 ? "True" : "False" } ?? "<unset>"
        let lastSchedule =
            cronJob[path: ["status", "lastScheduleTime"]].map { HumanDuration.since($0, now: now) } ?? "<none>"
        let (names, images) = PrintFormat.containers(spec?[path: ["jobTemplate", "spec", "template", "spec"]])
        return [
            PrintFormat.name(cronJob), .string(PrintFormat.string(spec?["schedule"])),
            .string(spec?["timeZone"]?.stringValue ?? "<none>"), .string(suspend),
            .int(Int64(cronJob[path: ["status", "active"]]?.arrayValue?.count ?? 0)), .string(lastSchedule),
            PrintFormat.age(cronJob, now: now), names, images,
            .string(PrintFormat.selector(spec?[path: ["jobTemplate", "spec", "selector"]])),
        ]
    }

    static let controllerRevisions = TablePrinter(
        [
            .name, TableColumn("Controller", "The object that owns the revision."),
            TableColumn("Revision", "The revision number."), .age,
        ]
    ) { revision, now in
        var controller = "<none>"
        if let owner = (revision[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).first(where: {
            $0["controller"]?.boolValue == true
        }) {
            let apiVersion = owner["apiVersion"]?.stringValue ?? ""
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            let kind = owner["kind"]?.stringValue ?? ""
            let groupKind = group.isEmpty ? kind : "\(kind).\(group)"
            controller = "\(groupKind.lowercased())/\(owner["name"]?.stringValue ?? "")"
        }
        return [
            PrintFormat.name(revision), .string(controller), PrintFormat.intCell(revision["revision"]),
            PrintFormat.age(revision, now: now),
        ]
    }
}
