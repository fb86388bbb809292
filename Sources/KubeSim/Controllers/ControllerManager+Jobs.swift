import Foundation
import GaleJSON

/// Job → pods that run to Succeeded; CronJob → Jobs on schedule with history limits.
extension ControllerManager {
    func reconcileJobs() {
        let type = ResourceCatalog.jobs
        for job in store.list(type).items where !Self.isDeleting(job) {
            let completions = job[path: ["spec", "completions"]]?.integer ?? 1
            let parallelism = job[path: ["spec", "parallelism"]]?.integer ?? 1
            let suspended = job[path: ["spec", "suspend"]]?.boolValue ?? false
            let pods = owned(ResourceCatalog.pods, by: job)
            let succeeded = pods.filter { Self.phase($0) == "Succeeded" }.count
            var active = pods.filter(Self.isActive)
            let complete = succeeded >= completions
            if !complete, !suspended {
                let wanted = min(parallelism, completions - succeeded) - active.count
                if wanted > 0 {
                    let template = job[path: ["spec", "template"]] ?? .object([:])
                    let name = Self.name(job)
                    for _ in 0..<wanted {
                        let pod = Self.makePod(
                            template: template, name: "\(name)-\(NameGenerator.suffix())", namespace: Self.namespace(job),
                            owner: job, ownerType: type,
                            extraLabels: [
                                "job-name": name, "batch.kubernetes.io/job-name": name, "controller-uid": Self.uid(job),
                                "batch.kubernetes.io/controller-uid": Self.uid(job),
                            ])
                        if let created = createPod(pod, owner: job, ownerType: type) { active.append(created) }
                    }
                }
            }
            var status = job["status"] ?? .object([:])
            if status["startTime"] == nil { status["startTime"] = .string(KubeTime.format(Date())) }
            status["active"] = active.isEmpty ? nil : .some(.int(Int64(active.count)))
            status["succeeded"] = succeeded > 0 ? .some(.int(Int64(succeeded))) : nil
            status["ready"] = .int(Int64(active.filter(Self.isReady).count))
            status["terminating"] = 0
            status["uncountedTerminatedPods"] = .object([:])
            if complete {
                if status["completionTime"] == nil {
                    status["completionTime"] = .string(KubeTime.format(Date()))
                    events.record(job, type: type, reason: "Completed", message: "Job completed", component: "job-controller")
                }
                status["conditions"] = [
                    Self.condition(status["conditions"], type: "SuccessCriteriaMet", status: true, reason: "CompletionsReached", message: "Reached expected number of succeeded pods"),
                    Self.condition(status["conditions"], type: "Complete", status: true, reason: "CompletionsReached", message: "Reached expected number of succeeded pods"),
                ]
            }
            setStatus(type, job, status)
        }
    }

    func reconcileCronJobs() {
        let type = ResourceCatalog.cronJobs
        let now = Date()
        for cronJob in store.list(type).items where !Self.isDeleting(cronJob) {
            let name = Self.name(cronJob)
            let namespace = Self.namespace(cronJob)
            let jobs = owned(ResourceCatalog.jobs, by: cronJob)
            var status = cronJob["status"] ?? .object([:])
            let isDone: (JSONValue) -> Bool = { $0[path: ["status", "completionTime"]] != nil }
            if let schedule = try? CronSchedule(parsing: cronJob[path: ["spec", "schedule"]]?.stringValue ?? ""),
                cronJob[path: ["spec", "suspend"]]?.boolValue != true
            {
                let last = (status["lastScheduleTime"]?.stringValue ?? cronJob[path: ["metadata", "creationTimestamp"]]?.stringValue)
                    .flatMap(KubeTime.parse) ?? now
                if let due = schedule.latest(after: last, until: now) {
                    let jobName = "\(name)-\(Int(due.timeIntervalSince1970 / 60))"
                    var template = cronJob[path: ["spec", "jobTemplate"]] ?? .object([:])
                    template["metadata"] = [
                        "name": .string(jobName), "namespace": .string(namespace),
                        "labels": template[path: ["metadata", "labels"]] ?? .object([:]),
                        "annotations": ["batch.kubernetes.io/cronjob-scheduled-timestamp": .string(KubeTime.format(due))],
                        "ownerReferences": [Self.ownerReference(cronJob, type)],
                    ]
                    let forbid = cronJob[path: ["spec", "concurrencyPolicy"]]?.stringValue == "Forbid"
                    if !(forbid && jobs.contains(where: { !isDone($0) })),
                        (try? api.create(ResourceCatalog.jobs, namespace: namespace, object: template)) != nil
                    {
                        events.record(cronJob, type: type, reason: "SuccessfulCreate", message: "Created job \(jobName)", component: "cronjob-controller")
                    }
                    status["lastScheduleTime"] = .string(KubeTime.format(due))
                }
            }
            let current = owned(ResourceCatalog.jobs, by: cronJob)
            let active = current.filter { !isDone($0) }
            status["active"] =
                active.isEmpty
                ? nil
                : .array(active.map { ["kind": "Job", "apiVersion": "batch/v1", "name": .string(Self.name($0)), "namespace": .string(namespace), "uid": .string(Self.uid($0))] })
            let finished = current.filter(isDone).sorted {
                ($0[path: ["status", "completionTime"]]?.stringValue ?? "") < ($1[path: ["status", "completionTime"]]?.stringValue ?? "")
            }
            if let latest = finished.last?[path: ["status", "completionTime"]] { status["lastSuccessfulTime"] = latest }
            setStatus(type, cronJob, status)
            let keep = cronJob[path: ["spec", "successfulJobsHistoryLimit"]]?.integer ?? 3
            if finished.count > keep {
                for job in finished.prefix(finished.count - keep) {
                    _ = try? api.delete(ResourceCatalog.jobs, namespace: namespace, name: Self.name(job), propagation: .background)
                }
            }
        }
    }
}
