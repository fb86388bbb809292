// Topology and alerts subscriptions: the live graph equals GET /topology through a scale, a
// focused graph, and an alert rule's alerts pending → firing → resolved as GET /alerts says.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../kubegale.js";
import { startGateway, demoClusterId, waitFor } from "./helpers.mjs";

let gateway, token, cluster, http, client;

before(async () => {
  // Alert rules evaluated every second, so that a rule fires within the test's patience.
  gateway = await startGateway({ args: ["--alert-interval", "1"] });
  token = await gateway.token({ role: "admin" });
  cluster = await demoClusterId(gateway, token);
  http = gateway.api(token);
  client = connect(gateway.wsUrl, { token });
});

after(async () => {
  client?.close();
  await gateway?.dispose();
});

const edgeKey = (edge) => `${edge.from} ${edge.type} ${edge.to}`;
/** Node ids with their status, and edges, sorted: equal when two graphs are the same. */
const shape = ({ nodes, edges }) => JSON.stringify({
  nodes: nodes.map((node) => `${node.id}=${node.status ?? ""}`).sort(),
  edges: edges.map(edgeKey).sort(),
});

async function topologyOverHttp(query) {
  const envelope = await http.call("GET", "/topology", { query: { cluster_id: cluster, ...query } });
  assert.equal(envelope.code, 0, envelope.msg);
  return envelope.data;
}

test("a topology graph follows GET /topology through a scale, with each change emitted", async () => {
  const graph = client.topology({ cluster, namespace: "demo" });
  const changes = [];
  graph.on("change", (change) => changes.push(change));
  await graph.whenSynced();
  assert.equal(graph.stream, "topology");
  assert.equal(changes.length, 1, "the snapshot is one change");
  assert.equal(changes[0].nodesAdded.length, graph.nodes.size);
  assert.ok(graph.nodes.get("Deployment/demo/nginx"), "the nginx deployment is a node");
  const owns = graph.edgeList().filter((edge) => edge.type === "owns" && edge.from === "Deployment/demo/nginx");
  assert.equal(owns.length, 1, "nginx owns one ReplicaSet");
  const replicaSet = owns[0].to;
  await waitFor(async () => shape({ nodes: graph.nodeList(), edges: graph.edgeList() }) === shape(await topologyOverHttp({ namespace: "demo" })),
    { message: "the live graph = GET /topology" });

  const podsOf = () => graph.edgeList().filter((edge) => edge.from === replicaSet && edge.type === "owns").map((edge) => edge.to);
  const before = podsOf();
  const scaled = await http.confirmed("POST", "/deployments/nginx/scale", { query: { cluster_id: cluster, namespace: "demo" }, body: { replicas: before.length + 2 } });
  assert.equal(scaled.code, 0, scaled.msg);
  await waitFor(() => podsOf().length === before.length + 2, { message: "two more pods owned by the ReplicaSet" });
  const added = podsOf().filter((id) => !before.includes(id));
  for (const id of added) {
    assert.equal(graph.nodes.get(id)?.kind, "Pod");
    assert.ok(changes.slice(1).some((change) => change.nodesAdded.some((node) => node.id === id)), `${id} came in a CHANGED event`);
  }
  await waitFor(async () => shape({ nodes: graph.nodeList(), edges: graph.edgeList() }) === shape(await topologyOverHttp({ namespace: "demo" })),
    { message: "the live graph = GET /topology after the scale" });

  // Back down: the deleted pods leave the graph, and nothing takes their place.
  const back = await http.confirmed("POST", "/deployments/nginx/scale", { query: { cluster_id: cluster, namespace: "demo" }, body: { replicas: before.length } });
  assert.equal(back.code, 0, back.msg);
  await waitFor(() => podsOf().length === before.length, { message: "the ReplicaSet back to its pods" });
  await waitFor(async () => shape({ nodes: graph.nodeList(), edges: graph.edgeList() }) === shape(await topologyOverHttp({ namespace: "demo" })),
    { message: () => `the live graph = GET /topology after scaling down (${graph.nodeList().map((node) => node.id)})` });
  assert.ok(graph.nodeList().every((node) => node.name !== ""), "no node without a name");
  graph.close();
  assert.equal(graph.closed, true);
});

test("a topology graph around one workload holds its chain and nothing of the others", async () => {
  const graph = client.topology({ cluster, namespace: "demo", kind: "Deployment", name: "api" });
  await graph.whenSynced();
  const kinds = new Set(graph.nodeList().map((node) => node.kind));
  for (const kind of ["Deployment", "ReplicaSet", "Pod", "Service"]) assert.ok(kinds.has(kind), `a ${kind} in ${[...kinds]}`);
  assert.equal(graph.nodes.get("Deployment/demo/nginx"), undefined);
  // The demo's pods may still be starting: the graph follows them to what HTTP says.
  await waitFor(async () => shape({ nodes: graph.nodeList(), edges: graph.edgeList() }) ===
    shape(await topologyOverHttp({ namespace: "demo", kind: "Deployment", name: "api" })), { message: "the focused graph = GET /topology" });
  graph.close();
});

test("a topology of a missing namespace is refused with 1003", async () => {
  const graph = client.topology({ cluster, namespace: "no-such-namespace" });
  await assert.rejects(graph.subscribed, (error) => error.code === 1003);
  assert.equal(graph.closed, true);
});

test("alerts: a rule's alerts arrive pending, then firing, and resolve when it is deleted", async () => {
  const alerts = client.alerts({ cluster });
  const transitions = [];
  alerts.on("transition", (transition) => transitions.push(transition));
  await alerts.whenSynced();
  assert.equal(alerts.alerts.size, 0, "no rule, no alert");

  const created = await http.call("POST", "/alerts/rules", {
    body: { name: "pods scheduled", cluster_id: cluster, condition: "event", reason: "Scheduled", namespace: "demo", for_seconds: 1, severity: "info" },
  });
  assert.equal(created.code, 0, created.msg);
  const rule = created.data.id;
  const firing = () => alerts.list().filter((alert) => alert.state === "firing");
  await waitFor(() => alerts.alerts.size > 0 && firing().length === alerts.alerts.size, { message: "every alert firing", timeout: 20000 });
  for (const alert of alerts.list()) {
    assert.equal(alert.rule_id, rule);
    assert.equal(alert.severity, "info");
    assert.match(alert.target, /^Pod\/demo\//);
    const mine = transitions.filter((t) => t.alert.target === alert.target).map((t) => `${t.from ?? "new"}→${t.event}`);
    assert.deepEqual(mine, ["new→PENDING", "pending→FIRING"], alert.target);
  }
  const current = await http.call("GET", "/alerts", { query: { cluster_id: cluster } });
  assert.deepEqual(alerts.list().map((alert) => alert.target).sort(), current.data.items.map((alert) => alert.target).sort());

  const fired = alerts.alerts.size;
  const deleted = await http.call("DELETE", `/alerts/rules/${rule}`);
  assert.equal(deleted.code, 0, deleted.msg);
  await waitFor(() => alerts.alerts.size === 0, { message: "the alerts resolved" });
  const resolved = transitions.filter((t) => t.event === "RESOLVED");
  assert.equal(resolved.length, fired);
  assert.ok(resolved.every((t) => t.from === "firing" && t.alert.state === "resolved" && t.alert.resolved_at));
  alerts.close();
});
