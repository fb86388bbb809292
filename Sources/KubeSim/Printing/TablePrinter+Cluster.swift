import Foundation
import GaleJSON

/// Nodes, storage (PersistentVolumes, claims, StorageClasses), quotas, Ingresses and RBAC bindings.
extension TablePrinter {
    static let nodes = TablePrinter(
        [
            .name, TableColumn("Status", "The status of the node."), TableColumn("Roles", "The roles of the node."),
            .age,
            TableColumn("Version", "The kubelet's version."),
            TableColumn("Internal-IP", "The node's internal address.", priority: 1),
            TableColumn("External-IP", "The node's external address.", priority: 1),
            TableColumn("OS-Image", "The node's operating system image.", priority: 1),
            TableColumn("Kernel-Version", "The node's kernel version.", priority: 1),
            TableColumn("Container-Runtime", "The node's container runtime and its version.", priority: 1),
        ]
    ) { node, now in
        var status: [String] = []
        if let ready = (node[path: ["status", "conditions"]]?.arrayValue ?? []).first(where: {
            $0["type"]?.stringValue == "Ready"
        }) {
            status.append(ready["status"]?.stringValue == "True" ? "Ready" : "NotReady")
        } else {
            status.append("Unknown")
        }
        if node[path: ["spec", "unschedulable"]]?.boolValue == true { status.append("SchedulingDisabled") }
        var roles = Set<String>()
        for (key, value) in node[path: ["metadata", "labels"]]?.stringMap ?? [:] {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        let addresses = node[path: ["status", "addresses"]]?.arrayValue ?? []
        func address(_ type: String) -> String {
            addresses.first { $0["type"]?.stringValue == type }?["address"]?.stringValue ?? "<none>"
        }
        let info = node[path: ["status", "nodeInfo"]]
        func known(_ key: String) -> JSONValue {
            let value = PrintFormat.string(info?[key])
            return .string(value.isEmpty ? "<unknown>" : value)
        }
        return [
            PrintFormat.name(node), .string(status.joined(separator: ",")),
            .string(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")), PrintFormat.age(node, now: now),
            .string(PrintFormat.string(info?["kubeletVersion"])), .string(address("InternalIP")),
            .string(address("ExternalIP")),
            known("osImage"), known("kernelVersion"), known("containerRuntimeVersion"),
        ]
    }

    static let persistentVolumes = TablePrinter(
        [
            .name, TableColumn("Capacity", "The volume's capacity."),
            TableColumn("Access Modes", "How the volume can be mounted."),
            TableColumn("Reclaim Policy", "What happens to the volume when its claim goes."),
            TableColumn("Status", "The volume's phase."), TableColumn("Claim", "The claim bound to the volume."),
            TableColumn("StorageClass", "StorageClass of the volume."),
            TableColumn("VolumeAttributesClass", "VolumeAttributesClass of the volume."),
            TableColumn("Reason", "Why the volume is in its phase."), .age,
            TableColumn("VolumeMode", "Filesystem or Block.", priority: 1),
        ]
    ) { volume, now in
        let spec = volume["spec"] ?? .object([:])
        var claim = ""
        if let reference = spec["claimRef"], !reference.isNull {
            claim = "\(PrintFormat.string(reference["namespace"]))/\(PrintFormat.string(reference["name"]))"
        }
        var phase = PrintFormat.string(volume[path: ["status", "phase"]])
        if volume[path: ["metadata", "deletionTimestamp"]] != nil { phase = "Terminating" }
        return [
            PrintFormat.name(volume), .string(spec[path: ["capacity", "storage"]]?.stringValue ?? "0"),
            .string(PrintFormat.accessModes(spec["accessModes"])),
            .string(PrintFormat.string(spec["persistentVolumeReclaimPolicy"])),
            .string(phase), .string(claim), .string(storageClass(volume)),
            .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
            .string(PrintFormat.string(volume[path: ["status", "reason"]])), PrintFormat.age(volume, now: now),
            .string(spec["volumeMode"]?.stringValue ?? "<unset>"),
        ]
    }

    static let persistentVolumeClaims = TablePrinter(
        [
            .name, TableColumn("Status", "The claim's phase."), TableColumn("Volume", "The volume bound to the claim."),
            TableColumn("Capacity", "The bound volume's capacity."),
            TableColumn("Access Modes", "How the volume can be mounted."),
            TableColumn("StorageClass", "StorageClass of the claim."),
            TableColumn("VolumeAttributesClass", "VolumeAttributesClass of the claim."), .age,
            TableColumn("VolumeMode", "Filesystem or Block.", priority: 1),
        ]
    ) { claim, now in
        let spec = claim["spec"] ?? .object([:])
        var phase = PrintFormat.string(claim[path: ["status", "phase"]])
        if claim[path: ["metadata", "deletionTimestamp"]] != nil { phase = "Terminating" }
        let volumeName = PrintFormat.string(spec["volumeName"])
        var capacity = ""
        var modes = ""
        if !volumeName.isEmpty {
            capacity = claim[path: ["status", "capacity", "storage"]]?.stringValue ?? "0"
            modes = PrintFormat.accessModes(claim[path: ["status", "accessModes"]])
        }
        return [
            PrintFormat.name(claim), .string(phase), .string(volumeName), .string(capacity), .string(modes),
            .string(storageClass(claim)), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
            PrintFormat.age(claim, now: now), .string(spec["volumeMode"]?.stringValue ?? "<unset>"),
        ]
    }

    /// `spec.storageClassName`, or the beta annotation older objects carry.
    private static func storageClass(_ object: JSONValue) -> String {
        if let name = object[path: ["spec", "storageClassName"]]?.stringValue { return name }
        return object[path: ["metadata", "annotations", "volume.beta.kubernetes.io/storage-class"]]?.stringValue ?? ""
    }

    static let storageClasses = TablePrinter(
        [
            .name, TableColumn("Provisioner", "The volume plugin that provisions volumes."),
            TableColumn("ReclaimPolicy", "What happens to provisioned volumes when released."),
            TableColumn("VolumeBindingMode", "When volumes are bound and provisioned."),
            TableColumn("AllowVolumeExpansion", "Whether volumes can be expanded."), .age,
        ]
    ) { storageClass, now in
        let annotations = storageClass[path: ["metadata", "annotations"]]?.stringMap ?? [:]
        var name = PrintFormat.string(storageClass[path: ["metadata", "name"]])
        if annotations["storageclass.kubernetes.io/is-default-class"] == "true"
            || annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true"
        {
            name += " (default)"
        }
        return [
            .string(name), .string(PrintFormat.string(storageClass["provisioner"])),
            .string(storageClass["reclaimPolicy"]?.stringValue ?? "Delete"),
            .string(storageClass["volumeBindingMode"]?.stringValue ?? "Immediate"),
            .bool(storageClass["allowVolumeExpansion"]?.boolValue ?? false), PrintFormat.age(storageClass, now: now),
        ]
    }

    static let resourceQuotas = TablePrinter(
        [
            .name, TableColumn("Request", "Used and hard limits of requests and counts."),
            TableColumn("Limit", "Used and hard limits of container limits."), .age,
        ]
    ) { quota, now in
        let hard = quota[path: ["status", "hard"]]?.objectValue ?? [:]
        let used = quota[path: ["status", "used"]]?.objectValue ?? [:]
        var requests: [String] = []
        var limits: [String] = []
        for resource in hard.keys.sorted() {
            let entry = "\(resource): \(used[resource]?.stringValue ?? "0")/\(hard[resource]?.stringValue ?? "0")"
            if resource.hasPrefix("limits.") { limits.append(entry) } else { requests.append(entry) }
        }
        return [
            PrintFormat.name(quota), .string(requests.joined(separator: ", ")), .string(limits.joined(separator: ", ")),
            PrintFormat.age(quota, now: now),
        ]
    }

    static let ingresses = TablePrinter(
        [
            .name, TableColumn("Class", "The IngressClass of the ingress."),
            TableColumn("Hosts", "Hosts the rules match."), TableColumn("Address", "Addresses of the load balancer."),
            TableColumn("Ports", "Ports the ingress serves."), .age,
        ]
    ) { ingress, now in
        let spec = ingress["spec"] ?? .object([:])
        let rules = spec["rules"]?.arrayValue ?? []
        var hosts: [String] = []
        var more = false
        for rule in rules {
            if hosts.count == 3 { more = true }
            let host = PrintFormat.string(rule["host"])
            if !more, !host.isEmpty { hosts.append(host) }
        }
        var hostText = hosts.isEmpty ? "*" : hosts.joined(separator: ",")
        if more { hostText += " + \(rules.count - 3) more..." }
        let tls = spec["tls"]?.arrayValue ?? []
        return [
            PrintFormat.name(ingress), .string(spec["ingressClassName"]?.stringValue ?? "<none>"), .string(hostText),
            .string(
                loadBalancerAddresses(ingress[path: ["status", "loadBalancer", "ingress"]]).joined(separator: ",")),
            .string(tls.isEmpty ? "80" : "80, 443"), PrintFormat.age(ingress, now: now),
        ]
    }

    /// RoleBindings and ClusterRoleBindings: the role, and with `-o wide` the subjects by kind.
    static let roleBindings = TablePrinter(
        [
            .name, TableColumn("Role", "The role the binding grants."), .age,
            TableColumn("Users", "Users in the binding.", priority: 1),
            TableColumn("Groups", "Groups in the binding.", priority: 1),
            TableColumn("ServiceAccounts", "Service accounts in the binding.", priority: 1),
        ]
    ) { binding, now in
        let subjects = binding["subjects"]?.arrayValue ?? []
        func names(_ kind: String) -> [String] {
            subjects.filter { $0["kind"]?.stringValue == kind }.map { subject in
                let name = PrintFormat.string(subject["name"])
                return kind == "ServiceAccount" ? "\(PrintFormat.string(subject["namespace"])):\(name)" : name
            }
        }
        let role =
            "\(PrintFormat.string(binding[path: ["roleRef", "kind"]]))/\(PrintFormat.string(binding[path: ["roleRef", "name"]]))"
        return [
            PrintFormat.name(binding), .string(role), PrintFormat.age(binding, now: now),
            .string(names("User").joined(separator: ", ")), .string(names("Group").joined(separator: ", ")),
            .string(names("ServiceAccount").joined(separator: ", ")),
        ]
    }
}
