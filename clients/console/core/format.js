// Formatting of Kubernetes values the way kubectl shows them.

/** kubectl's age: `45s`, `12m`, `5h3m`, `4d`, from an RFC 3339 time to `now` (ms). */
export function age(timestamp, now = Date.now()) {
  if (!timestamp) return "";
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ""}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ""}`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return `${days}d${hours % 24 ? `${hours % 24}h` : ""}`;
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`;
}

/** Bytes in binary units: `512 B`, `1.5 KiB`, `64.0 MiB`. */
export function bytes(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let amount = value;
  let unit = 0;
  while (Math.abs(amount) >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${amount} B` : `${amount.toFixed(amount < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Millicores as cores: `250m`, `1.50 cores`. */
export function cores(millicores) {
  if (millicores === null || millicores === undefined || !Number.isFinite(millicores)) return "–";
  return millicores < 1000 ? `${Math.round(millicores)}m` : `${(millicores / 1000).toFixed(2)} cores`;
}

/** A percentage with one decimal: `12.5%`. */
export function percent(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(1)}%`;
}

/** `HH:MM:SS` of an RFC 3339 time, in the browser's zone. */
export function clock(timestamp) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** The STATUS column of `kubectl get pods`: a waiting/terminated reason, Terminating, or the phase. */
export function podStatus(pod) {
  if (pod.metadata?.deletionTimestamp) return "Terminating";
  for (const status of pod.status?.containerStatuses ?? []) {
    const reason = status.state?.waiting?.reason ?? status.state?.terminated?.reason; // e.g. CrashLoopBackOff, Completed
    if (reason) return reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? "Unknown";
}

/** `ready/total` containers of a pod. */
export function podReady(pod) {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((status) => status.ready).length}/${total}`;
}

/** Restarts summed over the pod's containers. */
export function podRestarts(pod) {
  return (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
}

/** A tone for a status word: `ok`, `warn`, `bad` or `idle` (used as a CSS modifier). */
export function tone(status) {
  switch (status) {
    case "Running":
    case "Succeeded":
    case "Completed":
    case "Active":
    case "Ready":
    case "Bound":
    case "Normal":
    case "active":
    case "connected":
      return "ok";
    case "Pending":
    case "ContainerCreating":
    case "Terminating":
    case "NotReady,SchedulingDisabled":
    case "SchedulingDisabled":
    case "reconnecting":
    case "Warning":
      return "warn";
    case "Failed":
    case "Error":
    case "CrashLoopBackOff":
    case "ImagePullBackOff":
    case "ErrImagePull":
    case "OOMKilled":
    case "NotReady":
    case "unreachable":
    case "inactive":
    case "error":
      return "bad";
    default:
      return "idle";
  }
}

/** The Ready condition of a node, with `SchedulingDisabled` appended when cordoned. */
export function nodeStatus(node) {
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === "Ready");
  const state = ready?.status === "True" ? "Ready" : "NotReady";
  return node.spec?.unschedulable ? `${state},SchedulingDisabled` : state;
}

/** Node roles from `node-role.kubernetes.io/<role>` labels, like kubectl; `<none>` without. */
export function nodeRoles(node) {
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((label) => label.startsWith("node-role.kubernetes.io/"))
    .map((label) => label.slice("node-role.kubernetes.io/".length));
  return roles.length ? roles.join(",") : "<none>";
}

/** `80/TCP,443/TCP` (with `:nodePort` where set), like kubectl's PORT(S). */
export function servicePorts(service) {
  return (service.spec?.ports ?? [])
    .map((port) => `${port.port}${port.nodePort ? `:${port.nodePort}` : ""}/${port.protocol ?? "TCP"}`)
    .join(",");
}

/** `key=value,…` of a selector or label map. */
export function labels(map) {
  return Object.entries(map ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}
