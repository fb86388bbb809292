import Foundation
import GaleJSON

/// Services, Endpoints, ConfigMaps, Secrets, ServiceAccounts, Namespaces and Events.
extension TablePrinter {
    static let services = TablePrinter(
        [
            .name, TableColumn("Type", "How the service is exposed."),
            TableColumn("Cluster-IP", "The service's cluster IP."),
            TableColumn("External-IP", "Addresses the service is reachable on from outside."),
            TableColumn("Port(s)", "The service's ports."), .age,
            TableColumn("Selector", "Labels of the pods the service routes to.", priority: 1),
        ]
    ) { service, now in
        let spec = service["spec"] ?? .object([:])
        let ports = (spec["ports"]?.arrayValue ?? []).map { port -> String in
            let number = PrintFormat.int(port["port"])
            let proto = port["protocol"]?.stringValue ?? "TCP"
            if let nodePort = port["nodePort"]?.integer, nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
            return "\(number)/\(proto)"
        }.joined(separator: ",")
        return [
            PrintFormat.name(service), .string(spec["type"]?.stringValue ?? "ClusterIP"),
            .string(spec["clusterIPs"]?.arrayValue?.first?.stringValue ?? "<none>"), .string(externalIP(service)),
            .string(ports.isEmpty ? "<none>" : ports), PrintFormat.age(service, now: now),
            .string(PrintFormat.labels(spec["selector"])),
        ]
    }

    /// The EXTERNAL-IP cell: external IPs, load-balancer ingress points, or the external name.
    private static func externalIP(_ service: JSONValue) -> String {
        let externalIPs = (service[path: ["spec", "externalIPs"]]?.arrayValue ?? []).compactMap(\.stringValue)
        switch service[path: ["spec", "type"]]?.stringValue ?? "ClusterIP" {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            let ingress = loadBalancerAddresses(service[path: ["status", "loadBalancer", "ingress"]])
            let all = ingress + externalIPs
            if !all.isEmpty { return all.joined(separator: ",") }
            return "<pending>"
        case "ExternalName":
            return PrintFormat.string(service[path: ["spec", "externalName"]])
        default:
            return "<unknown>"
        }
    }

    /// IPs (or host names) of load-balancer ingress points, sorted and unique.
    static func loadBalancerAddresses(_ ingress: JSONValue?) -> [String] {
        let addresses = (ingress?.arrayValue ?? []).compactMap { point -> String? in
            if let ip = point["ip"]?.stringValue, !ip.isEmpty { return ip }
            if let host = point["hostname"]?.stringValue, !host.isEmpty { return host }
            return nil
        }
        return Array(Set(addresses)).sorted()
    }

    static let endpoints = TablePrinter([
        .name, TableColumn("Endpoints", "Addresses and ports of the endpoints."), .age,
    ]) {
        object, now in
        var entries: [String] = []
        for subset in object["subsets"]?.arrayValue ?? [] {
            let addresses = (subset["addresses"]?.arrayValue ?? []).map { PrintFormat.string($0["ip"]) }
            let ports = subset["ports"]?.arrayValue ?? []
            if ports.isEmpty {
                entries.append(contentsOf: addresses)
            } else {
                for port in ports {
                    let number = PrintFormat.int(port["port"])
                    entries.append(
                        contentsOf: addresses.map { $0.contains(":") ? "[\($0)]:\(number)" : "\($0):\(number)" })
                }
            }
        }
        return [
            PrintFormat.name(object), .string(PrintFormat.limited(entries, empty: "<none>")),
            PrintFormat.age(object, now: now),
        ]
    }

    static let configMaps = TablePrinter([.name, TableColumn("Data", "Number of data entries."), .age]) {
        configMap, now in
        let count = (configMap["data"]?.objectValue?.count ?? 0) + (configMap["binaryData"]?.objectValue?.count ?? 0)
        return [PrintFormat.name(configMap), .int(Int64(count)), PrintFormat.age(configMap, now: now)]
    }

    static let secrets = TablePrinter(
        [.name, TableColumn("Type", "The secret's type."), TableColumn("Data", "Number of data entries."), .age]
    ) { secret, now in
        [
            PrintFormat.name(secret), .string(PrintFormat.string(secret["type"])),
            .int(Int64(secret["data"]?.objectValue?.count ?? 0)),
            PrintFormat.age(secret, now: now),
        ]
    }

    static let serviceAccounts = TablePrinter([
        .name, TableColumn("Secrets", "Number of secrets the account names."), .age,
    ]) {
        account, now in
        [
            PrintFormat.name(account), .int(Int64(account["secrets"]?.arrayValue?.count ?? 0)),
            PrintFormat.age(account, now: now),
        ]
    }

    static let namespaces = TablePrinter([.name, TableColumn("Status", "The status of the namespace."), .age]) {
        namespace, now in
        [
            PrintFormat.name(namespace), .string(PrintFormat.string(namespace[path: ["status", "phase"]])),
            PrintFormat.age(namespace, now: now),
        ]
    }

    static let events = TablePrinter(
        [
            TableColumn("Last Seen", "Time since the event was last seen."), TableColumn("Type", "Normal or Warning."),
            TableColumn("Reason", "Why the event happened."), TableColumn("Object", "The object the event is about."),
            TableColumn("Subobject", "The part of the object (a container) the event is about.", priority: 1),
            TableColumn("Source", "The component that reported the event.", priority: 1),
            TableColumn("Message", "What happened."),
            TableColumn("First Seen", "Time since the event was first seen.", priority: 1),
            TableColumn("Count", "How often the event happened.", priority: 1),
            TableColumn("Name", "Name of the event.", format: "name", priority: 1),
        ]
    ) { event, now in
        func present(_ key: String) -> JSONValue? {
            guard let value = event[key], !value.isNull, value.stringValue != "" else { return nil }
            return value
        }
        let firstSeen = HumanDuration.since(present("firstTimestamp") ?? present("eventTime"), now: now)
        var lastSeen = present("lastTimestamp").map { HumanDuration.since($0, now: now) } ?? firstSeen
        var count = event["count"]?.integer ?? 0
        if let series = event["series"], !series.isNull {
            lastSeen = HumanDuration.since(series["lastObservedTime"], now: now)
            count = series["count"]?.integer ?? 0
        } else if count == 0 {
            count = 1
        }
        let involved = event["involvedObject"] ?? .object([:])
        let kind = PrintFormat.string(involved["kind"]).lowercased()
        let name = PrintFormat.string(involved["name"])
        let component =
            [event[path: ["source", "component"]], event["reportingComponent"]]
            .compactMap { $0?.stringValue }.first { !$0.isEmpty } ?? ""
        let host =
            [event[path: ["source", "host"]], event["reportingInstance"]]
            .compactMap { $0?.stringValue }.first { !$0.isEmpty } ?? ""
        return [
            .string(lastSeen), .string(PrintFormat.string(event["type"])), .string(PrintFormat.string(event["reason"])),
            .string(name.isEmpty ? kind : "\(kind)/\(name)"), .string(PrintFormat.string(involved["fieldPath"])),
            .string(host.isEmpty ? component : "\(component), \(host)"),
            .string(PrintFormat.string(event["message"]).trimmingCharacters(in: .whitespacesAndNewlines)),
            .string(firstSeen),
            .int(Int64(count)), PrintFormat.name(event),
        ]
    }
}
