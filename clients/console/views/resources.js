// What the console shows of each resource: table columns as kubectl prints them, and the
// actions a row offers.

import * as format from "../core/format.js";

const name = { label: "Name", value: (o) => o.metadata?.name, open: true };
const namespace = { label: "Namespace", value: (o) => o.metadata?.namespace };
const age = { label: "Age", value: (o) => format.age(o.metadata?.creationTimestamp) };

function ready(o) {
  return `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`;
}

function images(o) {
  return (o.spec?.template?.spec?.containers ?? []).map((c) => c.image).join(", ");
}

/** Newest first: by the event's last time. */
function byEventTime(a, b) {
  return eventTime(b).localeCompare(eventTime(a)) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function eventTime(event) {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? "";
}

/**
 * Resource plural → `{title, kind, namespaced, columns, actions}`; `actions` lists the names of
 * row actions (`logs`, `shell`, `files`, `scale`, `restart`, `delete`) the resource supports.
 */
export const RESOURCES = {
  pods: {
    title: "Pods",
    kind: "Pod",
    namespaced: true,
    columns: (all) => [
      name,
      all && namespace,
      { label: "Ready", value: format.podReady },
      { label: "Status", value: format.podStatus, tone: (o) => format.tone(format.podStatus(o)) },
      { label: "Restarts", value: (o) => format.podRestarts(o) },
      { label: "IP", value: (o) => o.status?.podIP ?? "", className: "mono" },
      { label: "Node", value: (o) => o.spec?.nodeName ?? "" },
      age,
    ],
    actions: ["logs", "shell", "restart", "delete"],
  },
  deployments: {
    title: "Deployments",
    kind: "Deployment",
    namespaced: true,
    columns: (all) => [
      name,
      all && namespace,
      { label: "Ready", value: ready, tone: (o) => ((o.status?.readyReplicas ?? 0) === (o.spec?.replicas ?? 0) ? "ok" : "warn") },
      { label: "Up-to-date", value: (o) => o.status?.updatedReplicas ?? 0 },
      { label: "Available", value: (o) => o.status?.availableReplicas ?? 0 },
      { label: "Images", value: images, className: "mono" },
      age,
    ],
    actions: ["logs", "scale", "restart", "delete"],
  },
  statefulsets: {
    title: "StatefulSets",
    kind: "StatefulSet",
    namespaced: true,
    columns: (all) => [
      name,
      all && namespace,
      { label: "Ready", value: ready, tone: (o) => ((o.status?.readyReplicas ?? 0) === (o.spec?.replicas ?? 0) ? "ok" : "warn") },
      { label: "Images", value: images, className: "mono" },
      age,
    ],
    actions: ["logs", "scale", "restart", "delete"],
  },
  daemonsets: {
    title: "DaemonSets",
    kind: "DaemonSet",
    namespaced: true,
    columns: (all) => [
      name,
      all && namespace,
      { label: "Desired", value: (o) => o.status?.desiredNumberScheduled ?? 0 },
      { label: "Ready", value: (o) => o.status?.numberReady ?? 0,
        tone: (o) => ((o.status?.numberReady ?? 0) === (o.status?.desiredNumberScheduled ?? 0) ? "ok" : "warn") },
      { label: "Images", value: images, className: "mono" },
      age,
    ],
    actions: ["logs", "restart", "delete"],
  },
  services: {
    title: "Services",
    kind: "Service",
    namespaced: true,
    columns: (all) => [
      name,
      all && namespace,
      { label: "Type", value: (o) => o.spec?.type ?? "" },
      { label: "Cluster IP", value: (o) => o.spec?.clusterIP ?? "", className: "mono" },
      { label: "Ports", value: format.servicePorts, className: "mono" },
      { label: "Selector", value: (o) => format.labels(o.spec?.selector) },
      age,
    ],
    actions: ["delete"],
  },
  nodes: {
    title: "Nodes",
    kind: "Node",
    namespaced: false,
    columns: () => [
      name,
      { label: "Status", value: format.nodeStatus, tone: (o) => (format.nodeStatus(o).startsWith("Ready") ? "ok" : "bad") },
      { label: "Roles", value: format.nodeRoles },
      { label: "Version", value: (o) => o.status?.nodeInfo?.kubeletVersion ?? "" },
      { label: "Internal IP", value: (o) => (o.status?.addresses ?? []).find((a) => a.type === "InternalIP")?.address ?? "", className: "mono" },
      { label: "CPU", value: (o) => o.status?.allocatable?.cpu ?? "" },
      { label: "Memory", value: (o) => o.status?.allocatable?.memory ?? "" },
      age,
    ],
    actions: [],
  },
  events: {
    title: "Events",
    kind: "Event",
    namespaced: true,
    compare: byEventTime,
    columns: (all) => [
      { label: "Last seen", value: (o) => format.age(eventTime(o)) },
      all && namespace,
      { label: "Type", value: (o) => o.type ?? "", tone: (o) => format.tone(o.type) },
      { label: "Reason", value: (o) => o.reason ?? "" },
      { label: "Object", value: (o) => `${o.involvedObject?.kind ?? ""}/${o.involvedObject?.name ?? ""}` },
      { label: "Count", value: (o) => o.count ?? 1 },
      { label: "Message", value: (o) => o.message ?? "", className: "wrap" },
    ],
    actions: [],
  },
};

/** The logs target of an object: a pod, or a workload's pods merged. */
export function logTarget(resource, object) {
  if (resource === "pods") return { pod: object.metadata.name };
  const singular = { deployments: "deployment", statefulsets: "statefulset", daemonsets: "daemonset" }[resource];
  return singular ? { workload: `${singular}/${object.metadata.name}` } : null;
}
