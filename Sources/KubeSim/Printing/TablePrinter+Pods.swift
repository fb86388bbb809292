import Foundation
import GaleJSON

/// `kubectl get pods`: NAME READY STATUS RESTARTS AGE, and IP, NODE, NOMINATED NODE, READINESS GATES with `-o wide`.
extension TablePrinter {
    static let pods = TablePrinter(
        [
            .name,
            TableColumn("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            TableColumn("Status", "The aggregate status of the containers in this pod."),
            TableColumn("Restarts", "How often the pod's containers restarted, and when the last restart was."),
            .age,
            TableColumn("IP", "The pod's IP address.", priority: 1),
            TableColumn("Node", "The node the pod runs on.", priority: 1),
            TableColumn("Nominated Node", "The node the scheduler nominated for the pod when preempting.", priority: 1),
            TableColumn("Readiness Gates", "Readiness gates of the pod that are satisfied.", priority: 1),
        ],
        conditions: { pod in
            switch pod[path: ["status", "phase"]]?.stringValue {
            case "Succeeded":
                return [
                    [
                        "type": "Completed", "status": "True", "reason": "Succeeded",
                        "message": "The pod has completed successfully.",
                    ]
                ]
            case "Failed":
                return [["type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."]]
            default: return nil
            }
        },
        cells: { TablePrinter.podCells($0, now: $1) })

    /// The summary the apiserver computes for a pod: ready containers, the status reason (init progress,
    /// a waiting or terminated container's reason, Terminating), restarts with the time of the last one.
    static func podCells(_ pod: JSONValue, now: Date) -> [JSONValue] {
        let spec = pod["spec"] ?? .object([:])
        let status = pod["status"] ?? .object([:])
        let phase = status["phase"]?.stringValue ?? ""
        var reason = status["reason"]?.stringValue ?? phase
        for condition in status["conditions"]?.arrayValue ?? []
        where condition["type"]?.stringValue == "PodScheduled" && condition["reason"]?.stringValue == "SchedulingGated"
        {
            reason = "SchedulingGated"
        }
        let initContainers = spec["initContainers"]?.arrayValue ?? []
        let sidecars = Set(
            initContainers.filter { $0["restartPolicy"]?.stringValue == "Always" }.compactMap {
                $0["name"]?.stringValue
            })
        let total = (spec["containers"]?.arrayValue ?? []).count + sidecars.count
        var ready = 0
        var restarts = 0
        var sidecarRestarts = 0
        var lastRestart: Date?
        var lastSidecarRestart: Date?
        func later(_ current: Date?, _ container: JSONValue) -> Date? {
            guard let text = container[path: ["lastState", "terminated", "finishedAt"]]?.stringValue,
                let finished = KubeTime.parse(text)
            else { return current }
            return max(current ?? finished, finished)
        }
        var initializing = false
        for (index, container) in (status["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            let count = container["restartCount"]?.integer ?? 0
            restarts += count
            lastRestart = later(lastRestart, container)
            let isSidecar = sidecars.contains(container["name"]?.stringValue ?? "")
            if isSidecar {
                sidecarRestarts += count
                lastSidecarRestart = later(lastSidecarRestart, container)
            }
            let terminated = container[path: ["state", "terminated"]]
            let waitingReason = container[path: ["state", "waiting", "reason"]]?.stringValue ?? ""
            if let terminated, terminated["exitCode"]?.integer == 0 { continue }
            if isSidecar, container["started"]?.boolValue == true {
                if container["ready"]?.boolValue == true { ready += 1 }
                continue
            }
            if let terminated {
                reason = "Init:" + terminatedReason(terminated)
            } else if !waitingReason.isEmpty, waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }
        if !initializing || PrintFormat.hasCondition(pod, "Initialized") {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            for container in (status["containerStatuses"]?.arrayValue ?? []).reversed() {
                restarts += container["restartCount"]?.integer ?? 0
                lastRestart = later(lastRestart, container)
                let state = container["state"] ?? .object([:])
                if let waiting = state[path: ["waiting", "reason"]]?.stringValue, !waiting.isEmpty {
                    reason = waiting
                } else if let terminated = state["terminated"] {
                    reason = terminatedReason(terminated)
                } else if container["ready"]?.boolValue == true, state["running"] != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed", hasRunning {
                reason = PrintFormat.hasCondition(pod, "Ready") ? "Running" : "NotReady"
            }
        }
        if pod[path: ["metadata", "deletionTimestamp"]] != nil {
            if status["reason"]?.stringValue == "NodeLost" {
                reason = "Unknown"
            } else if phase != "Succeeded", phase != "Failed" {
                reason = "Terminating"
            }
        }
        var restartText = String(restarts)
        if restarts != 0, let lastRestart {
            restartText = "\(restarts) (\(HumanDuration.format(now.timeIntervalSince(lastRestart))) ago)"
        }
        let ip = (status["podIPs"]?.arrayValue?.first?["ip"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"
        let node = spec["nodeName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"
        let nominated = status["nominatedNodeName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"
        var gates = "<none>"
        if let readinessGates = spec["readinessGates"]?.arrayValue, !readinessGates.isEmpty {
            let satisfied = readinessGates.filter { gate in
                PrintFormat.hasCondition(pod, gate["conditionType"]?.stringValue ?? "")
            }.count
            gates = "\(satisfied)/\(readinessGates.count)"
        }
        return [
            PrintFormat.name(pod), .string("\(ready)/\(total)"), .string(reason), .string(restartText),
            PrintFormat.age(pod, now: now), .string(ip), .string(node), .string(nominated), .string(gates),
        ]
    }

    /// A terminated container's reason, or `Signal:N` / `ExitCode:N` when it has none.
    private static func terminatedReason(_ terminated: JSONValue) -> String {
        if let reason = terminated["reason"]?.stringValue, !reason.isEmpty { return reason }
        if let signal = terminated["signal"]?.integer, signal != 0 { return "Signal:\(signal)" }
        return "ExitCode:\(terminated["exitCode"]?.integer ?? 0)"
    }
}
