// The drawer showing one object: its YAML (live), and for pods and workloads their logs, for pods
// a terminal and file transfers, and the object's events. Tabs are built when first shown and
// kept until the drawer closes, so a shell survives a look at the YAML.

import { byId, h, replaceChildren, setText } from "../core/dom.js";
import * as format from "../core/format.js";
import { FrameBatch } from "../core/frame.js";
import { FilesView } from "./files-view.js";
import { LiveTable } from "./live-table.js";
import { LogViewer } from "./log-viewer.js";
import { RESOURCES, logTarget } from "./resources.js";
import { TerminalView } from "./terminal-view.js";
import { YamlView } from "./yaml-view.js";

const TAB_LABELS = { yaml: "YAML", logs: "Logs", terminal: "Terminal", files: "Files", events: "Events" };
const HEADER_ACTIONS = { scale: "Scale", restart: "Restart", delete: "Delete" };

/** The tabs of a resource's drawer; a shell and file transfers need a role that may change things. */
function tabsOf(resource, canChange) {
  if (resource === "pods") return canChange ? ["yaml", "logs", "terminal", "files", "events"] : ["yaml", "logs", "events"];
  if (logTarget(resource, { metadata: { name: "" } })) return ["yaml", "logs", "events"];
  return ["yaml", "events"];
}

export class DetailPanel {
  /** `context()` gives `{client, clusterId, canChange}`; `actions` is the console's Actions; `signal` ends it. */
  constructor({ context, actions, signal }) {
    this.context = context;
    this.actions = actions;
    this.element = byId("detail");
    this.current = null; // the open object: {resource, object, deleted, watch, views, buttons, selected, …}
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.current && !document.querySelector("dialog[open]")) this.close();
    }, { signal });
  }

  /** Shows `object` of `resource`, on tab `tab`. */
  open(resource, object, tab = "yaml") {
    this.close();
    const { client, clusterId, canChange } = this.context();
    const definition = RESOURCES[resource];
    const { name, namespace } = object.metadata;
    const watch = client.watch({ cluster: clusterId, resource, namespace: definition.namespaced ? namespace : undefined, name });
    const current = { resource, object, watch, deleted: false, views: new Map(), buttons: new Map(), selected: null };
    this.current = current;

    const title = h("h2", { id: "detail-name", text: name });
    const status = h("span", { class: "badge", id: "detail-state" });
    const tabs = h("div", { class: "tabs", role: "tablist" });
    const body = h("div", { class: "tab-panel", id: "detail-body" });
    current.status = status;
    current.body = body;
    for (const tabName of tabsOf(resource, canChange)) {
      const button = h("button", {
        type: "button", role: "tab", id: `tab-${tabName}`, "aria-selected": "false", text: TAB_LABELS[tabName],
        on: { click: () => this.select(tabName) },
      });
      current.buttons.set(tabName, button);
      tabs.append(button);
    }
    const headerActions = definition.actions
      .filter((action) => canChange && HEADER_ACTIONS[action])
      .map((action) => h("button", {
        type: "button", class: ["small", action === "delete" && "danger-text"], id: `detail-${action}`,
        text: HEADER_ACTIONS[action], on: { click: () => this.actions[action](resource, current.object) },
      }));
    replaceChildren(this.element,
      h("div", { class: "detail-header" },
        h("div", {},
          h("div", { class: "kind", text: `${definition.kind}${namespace ? ` · ${namespace}` : ""}` }),
          title),
        status,
        h("div", { class: "header-actions" }, headerActions,
          h("button", { type: "button", class: "small ghost", id: "detail-close", "aria-label": "Close", text: "✕", on: { click: () => this.close() } }))),
      tabs,
      body);
    this.element.dataset.resource = resource;
    this.element.dataset.name = name;
    this.element.hidden = false;

    const batch = new FrameBatch(() => this.refresh());
    current.batch = batch;
    watch.on("change", ({ type, object: changed }) => {
      if (type === "DELETED") current.deleted = true;
      else {
        current.deleted = false;
        current.object = changed;
      }
      batch.mark("object");
    });
    this.refresh();
    this.select(tab);
  }

  /** Header and YAML follow the object. */
  refresh() {
    const current = this.current;
    if (!current) return;
    const { status } = current;
    const text = current.deleted ? "Deleted" : statusOf(current.resource, current.object);
    setText(status, text);
    status.hidden = !text;
    status.className = `badge tone-${current.deleted ? "bad" : toneOf(text)}`;
    this.element.dataset.deleted = String(current.deleted);
    current.views.get("yaml")?.show(current.object, { deleted: current.deleted });
  }

  select(tabName) {
    const current = this.current;
    if (!current || !current.buttons.has(tabName)) return;
    current.selected = tabName;
    for (const [name, button] of current.buttons) button.setAttribute("aria-selected", String(name === tabName));
    let view = current.views.get(tabName);
    if (!view) {
      view = this.createView(tabName, current);
      current.views.set(tabName, view);
    }
    for (const other of current.views.values()) other.element.hidden = other !== view;
    if (!view.element.isConnected) current.body.append(view.element);
    if (tabName === "yaml") view.show(current.object, { deleted: current.deleted });
    else view.show?.();
  }

  createView(tabName, current) {
    const { client, clusterId } = this.context();
    const { resource, object } = current;
    const { name, namespace } = object.metadata;
    const containers = (object.spec?.containers ?? []).map((container) => container.name);
    switch (tabName) {
      case "yaml":
        return new YamlView();
      case "logs":
        return new LogViewer({
          client, clusterId, namespace, target: logTarget(resource, object), label: `${namespace}-${name}`,
          containers: resource === "pods" ? containers : [],
        });
      case "terminal":
        return new TerminalView({ client, clusterId, namespace, pod: name, containers });
      case "files":
        return new FilesView({ client, clusterId, namespace, pod: name, containers });
      case "events":
        return new EventsTab({ client, clusterId, resource, object });
      default:
        throw new Error(`unknown tab ${tabName}`);
    }
  }

  close() {
    const current = this.current;
    if (!current) return;
    this.current = null;
    current.batch?.cancel();
    current.watch.close();
    for (const view of current.views.values()) view.dispose?.();
    this.element.hidden = true;
    this.element.replaceChildren();
    delete this.element.dataset.name;
  }

  /** The files tab of the open pod, for diagnostics. */
  get files() {
    return this.current?.views.get("files") ?? null;
  }
}

/** The events of one object, live. */
class EventsTab {
  constructor({ client, clusterId, resource, object }) {
    const definition = RESOURCES[resource];
    const stream = client.events({
      cluster: clusterId,
      namespace: definition.namespaced ? object.metadata.namespace : undefined,
      kind: definition.kind,
      name: object.metadata.name,
    });
    this.table = new LiveTable({
      id: "detail-events-table",
      title: "Events",
      emptyText: "No events for this object.",
      watch: stream,
      columns: RESOURCES.events.columns(false).filter(Boolean),
      compare: RESOURCES.events.compare,
    });
    this.element = h("div", { class: "tab-panel files" }, this.table.element);
  }

  dispose() {
    this.table.dispose();
  }
}

function statusOf(resource, object) {
  switch (resource) {
    case "pods":
      return format.podStatus(object);
    case "nodes":
      return format.nodeStatus(object);
    case "deployments":
    case "statefulsets":
      return `${object.status?.readyReplicas ?? 0}/${object.spec?.replicas ?? 0} ready`;
    case "daemonsets":
      return `${object.status?.numberReady ?? 0}/${object.status?.desiredNumberScheduled ?? 0} ready`;
    default:
      return "";
  }
}

function toneOf(text) {
  const ratio = /^(\d+)\/(\d+) ready$/.exec(text);
  if (ratio) return ratio[1] === ratio[2] ? "ok" : "warn";
  return format.tone(text);
}
