// The live topology of a namespace, or of one workload in it: the gateway's graph (client
// `topology()`) drawn as inline SVG in layers, redrawn once per animation frame when it changes.
// Every node is `g.topology-node[data-id][data-kind][data-name][data-status]` with a <title>;
// every edge `path.topology-edge[data-from][data-to][data-type]`.

import { h, replaceChildren, setText, svg } from "../core/dom.js";
import { tone } from "../core/format.js";
import { FrameBatch } from "../core/frame.js";
import { GEOMETRY, edgePath, layout } from "../core/graph-layout.js";
import { describeError } from "./confirm-dialog.js";
import { RESOURCES } from "./resources.js";

/** Kinds the graph can be drawn around (the `kind` of the subscription). */
const FOCUS_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Service", "Ingress"];
const EDGE_VERBS = {
  owns: "owns", selects: "selects", endpoints: "has endpoints", routes: "routes to", mounts: "mounts",
  bound: "is bound to", uses: "uses", scheduled: "is scheduled on",
};
const NAME_CHARACTERS = 21;
/** Kind → the console's resource plural, for the nodes the drawer can open. */
const RESOURCE_OF_KIND = new Map(Object.entries(RESOURCES).map(([resource, definition]) => [definition.kind, resource]));

export class TopologyView {
  /** `context`: `{client, clusterId, namespace}`; `detail` opens objects of known kinds. */
  constructor({ context, detail }) {
    const { client, clusterId, namespace } = context;
    this.client = client;
    this.clusterId = clusterId;
    this.namespace = namespace;
    this.detail = detail;
    this.graph = null;
    this.focus = ""; // "Kind/name", or "" for the whole namespace
    this.focusOptions = new Map(); // "Kind/name" → label, from the last whole-namespace graph
    this.drawn = new Set(); // node ids drawn so far, so that new ones can be marked
    this.batch = new FrameBatch(() => this.draw());

    this.status = h("span", { class: "stream-status", id: "topology-status" });
    this.summary = h("p", { class: "muted topology-summary", id: "topology-summary", "aria-live": "polite" });
    this.focusSelect = h("select", {
      id: "topology-focus", "aria-label": "Draw the graph around",
      on: { change: () => this.subscribe(this.focusSelect.value) },
    });
    this.canvas = svg("svg", {
      id: "topology-graph", class: "topology", role: "group", "aria-label": `Topology of namespace ${namespace ?? ""}`,
      dataset: { synced: "false", nodes: "0", edges: "0" },
    });
    this.element = h("div", { id: "topology" },
      h("div", { class: "view-header" },
        h("h1", { text: "Topology" }),
        h("span", { class: "muted", text: namespace ? `namespace ${namespace}` : "" }),
        this.status,
        h("span", { class: "spacer" }),
        namespace ? h("label", { class: "inline-field" }, "Around", this.focusSelect) : null),
      namespace
        ? h("section", { class: "panel" },
            h("div", { class: "panel-header" }, h("h2", { text: "Graph" }), this.summary),
            h("div", { class: "topology-wrap" }, this.canvas),
            legend())
        : h("div", { class: "empty-state", id: "topology-no-namespace" },
            h("p", { text: "The topology is drawn for one namespace: pick one above." })));
    if (namespace) this.subscribe("");
  }

  /** (Re)subscribes, around `focus` ("Kind/name") or the whole namespace. */
  subscribe(focus) {
    this.graph?.close();
    this.focus = focus;
    this.drawn = new Set();
    this.canvas.dataset.synced = "false";
    this.canvas.dataset.focus = focus;
    const [kind, ...rest] = focus ? focus.split("/") : [];
    this.graph = this.client.topology({
      cluster: this.clusterId, namespace: this.namespace, kind, name: focus ? rest.join("/") : undefined,
    });
    this.graph.on("change", () => this.batch.markAll());
    this.graph.on("synced", () => this.batch.markAll());
    this.graph.on("resync", () => setText(this.status, "resyncing…"));
    this.graph.on("status", ({ status, reason }) =>
      setText(this.status, status === "connected" ? "" : `${status}${reason ? `: ${reason}` : ""}`));
    this.graph.on("error", (error) => setText(this.status, describeError(error)));
    this.renderFocus();
    this.batch.markAll();
  }

  renderFocus() {
    const options = new Map(this.focusOptions);
    if (this.focus && !options.has(this.focus)) options.set(this.focus, this.focus.replace("/", " "));
    replaceChildren(this.focusSelect,
      h("option", { value: "", text: "Whole namespace", selected: !this.focus }),
      [...options].map(([value, label]) => h("option", { value, text: label, selected: value === this.focus })));
  }

  draw() {
    const graph = this.graph;
    if (!graph) return;
    const nodes = graph.nodeList();
    const edges = graph.edgeList();
    if (!this.focus && graph.synced) {
      this.focusOptions = new Map(nodes
        .filter((node) => FOCUS_KINDS.includes(node.kind))
        .sort((a, b) => FOCUS_KINDS.indexOf(a.kind) - FOCUS_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name))
        .map((node) => [`${node.kind}/${node.name}`, `${node.kind} ${node.name}`]));
      this.renderFocus();
    }
    const { positions, width, height } = layout(nodes, edges);
    this.canvas.setAttribute("width", String(width));
    this.canvas.setAttribute("height", String(height));
    this.canvas.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const byId = new Map(nodes.map((node) => [node.id, node]));
    const edgeElements = edges
      .filter((edge) => positions.has(edge.from) && positions.has(edge.to))
      .map((edge) => svg("path", {
        class: `topology-edge type-${edge.type}`, d: edgePath(positions.get(edge.from), positions.get(edge.to)),
        dataset: { from: edge.from, to: edge.to, type: edge.type },
      }, svg("title", {}, `${describe(byId.get(edge.from))} ${EDGE_VERBS[edge.type] ?? edge.type} ${describe(byId.get(edge.to))}`)));
    const synced = graph.synced;
    const nodeElements = nodes.map((node) => {
      const fresh = synced && this.canvas.dataset.synced === "true" && !this.drawn.has(node.id);
      return this.nodeElement(node, positions.get(node.id), fresh);
    });
    this.canvas.replaceChildren(svg("g", { class: "edges" }, edgeElements), svg("g", { class: "nodes" }, nodeElements));
    if (synced) {
      this.drawn = new Set(nodes.map((node) => node.id));
      this.canvas.dataset.synced = "true";
    }
    this.canvas.dataset.nodes = String(nodes.length);
    this.canvas.dataset.edges = String(edgeElements.length);
    setText(this.summary, synced ? summarize(nodes, edgeElements.length) : "Loading…");
  }

  nodeElement(node, { x, y }, fresh) {
    const { nodeWidth, nodeHeight } = GEOMETRY;
    const status = node.status ?? "";
    const resource = RESOURCE_OF_KIND.get(node.kind);
    const label = `${node.kind} ${node.namespace ? `${node.namespace}/` : ""}${node.name}${status ? `: ${status}` : ""}`;
    const open = resource ? () => this.detail.open(resource, { kind: node.kind, metadata: { name: node.name, namespace: node.namespace } }) : null;
    return svg("g", {
      class: ["topology-node", `kind-${node.kind.toLowerCase()}`, `tone-${statusTone(node)}`, fresh && "fresh", open && "openable"],
      transform: `translate(${x},${y})`, role: "img", "aria-label": label, tabindex: open ? "0" : null,
      dataset: { id: node.id, kind: node.kind, name: node.name, status },
      on: open ? { click: open, keydown: (event) => event.key === "Enter" && open() } : undefined,
    },
    svg("title", {}, label),
    svg("rect", { class: "box", width: nodeWidth, height: nodeHeight, rx: 6 }),
    svg("circle", { class: "status-dot", cx: 12, cy: nodeHeight / 2, r: 4.5 }),
    svg("text", { class: "kind", x: 24, y: 13 }, `${node.kind}${status ? ` · ${status}` : ""}`),
    svg("text", { class: "name", x: 24, y: 27 }, shorten(node.name)));
  }

  dispose() {
    this.batch.cancel();
    this.graph?.close();
  }
}

function describe(node) {
  return node ? `${node.kind} ${node.name}` : "?";
}

function shorten(name) {
  return name.length > NAME_CHARACTERS ? `${name.slice(0, NAME_CHARACTERS - 1)}…` : name;
}

/** A workload's `ready/desired` is fine when equal; other statuses go by their word. */
function statusTone(node) {
  const status = node.status ?? "";
  const ratio = /^(\d+)\/(\d+)$/.exec(status);
  if (ratio) return ratio[1] === ratio[2] ? "ok" : "warn";
  return tone(status);
}

function summarize(nodes, edgeCount) {
  const counts = new Map();
  for (const node of nodes) counts.set(node.kind, (counts.get(node.kind) ?? 0) + 1);
  // Endpoints is plural already.
  const parts = [...counts].map(([kind, count]) => `${count} ${kind}${count === 1 || kind.endsWith("s") ? "" : "s"}`);
  return `${parts.join(" · ") || "No objects"} — ${edgeCount} ${edgeCount === 1 ? "edge" : "edges"}`;
}

function legend() {
  return h("div", { class: "topology-legend", "aria-label": "Edge types" },
    Object.keys(EDGE_VERBS).map((type) =>
      h("span", { class: "legend-item" },
        svg("svg", { width: 28, height: 10, "aria-hidden": "true" },
          svg("line", { class: `topology-edge type-${type}`, x1: 0, y1: 5, x2: 28, y2: 5 })),
        type)));
}
