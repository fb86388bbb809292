// Outages. A gateway restart: the session is gone, so the client re-subscribes its watch by
// resourceVersion by itself, and the view converges to the cluster's truth, including an object
// deleted while the gateway was down. A cluster outage: `status` frames tell, and the view follows
// the cluster when it is back. The cluster is a separate `kubegale sim`, so that it outlives the
// gateway (the built-in demo cluster restarts with it).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../kubegale.js";
import { startGateway, startSimulator, waitFor, configMap, recordingWebSocket } from "./helpers.mjs";

let sim, gateway, token, cluster, http;

before(async () => {
  sim = await startSimulator();
  // `kubegale sim --plain-http` is a plain-HTTP cluster: the gateway must be told to accept one.
  gateway = await startGateway({ args: ["--no-demo", "--allow-kubeconfig-insecure"] });
  token = await gateway.token({ role: "admin" });
  http = gateway.api(token);
  const registered = await http.call("POST", "/clusters", { body: { name: "sim", description: "outlives gateway restarts", kubeconfig: sim.kubeconfig } });
  assert.equal(registered.code, 0, registered.msg);
  cluster = registered.data.id;
});

after(async () => {
  await gateway?.dispose();
  await sim?.stop();
});

const view = (watch) => Object.fromEntries(watch.list().map((o) => [o.metadata.name, o.data?.v]));

test("after a gateway restart the watch converges without a new watch() call", async () => {
  const recorder = recordingWebSocket();
  const client = connect(gateway.wsUrl, { token, WebSocket: recorder.WebSocket, reconnect: { minDelay: 100, maxDelay: 500 } });
  try {
    const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=restart" });
    await watch.whenSynced();
    // A log follows too: KubeSim's lines of an app container are numbered (`id=N`), one every 0.5 s.
    const pods = await waitFor(async () => {
      const { data } = await client.request("GET", "/pods", undefined, { query: { cluster_id: cluster, namespace: "demo", labelSelector: "app=api" } });
      return data.items.find((p) => p.status?.phase === "Running");
    }, { message: "a running api pod" });
    const logs = client.logs({ cluster, namespace: "demo", pod: pods.metadata.name, tailLines: 2 });
    const ids = [];
    logs.on("line", ({ text }) => {
      const id = / id=(\d+) /.exec(text)?.[1]; // the first line of a container is a start-up line without id
      if (id) ids.push(Number(id));
    });
    await waitFor(() => ids.length >= 2, { message: "the first log lines" });
    for (const name of ["keep", "doomed", "changed"]) {
      const created = await client.request("POST", "/configmaps", configMap(cluster, "default", name, { v: "1" }, { suite: "restart" }));
      assert.equal(created.code, 0, created.msg);
    }
    await waitFor(() => watch.objects.size === 3, { message: "three configmaps in the view" });
    const session = client.session;
    const versionBefore = watch.resourceVersion;
    const socketsBefore = recorder.sockets.length;
    const changes = [];
    watch.on("change", (c) => changes.push(`${c.type} ${c.object.metadata.name}`));
    const resyncs = [];
    watch.on("resync", (r) => resyncs.push(r));
    const states = [];
    client.on("state", (s) => states.push(s));

    await gateway.stop();
    await waitFor(() => client.state === "reconnecting", { message: "the client to notice the shutdown" });
    assert.equal(states[0].code, 1001, "the gateway said it was going away");

    // The cluster changes while no gateway watches it.
    await sim.kube("DELETE", "/api/v1/namespaces/default/configmaps/doomed");
    const changed = await sim.kube("GET", "/api/v1/namespaces/default/configmaps/changed");
    await sim.kube("PUT", "/api/v1/namespaces/default/configmaps/changed", { ...changed, data: { v: "2" } });
    await sim.kube("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "born", namespace: "default", labels: { suite: "restart" } }, data: { v: "1" } });

    await gateway.start(); // same port, data dir and secret
    await waitFor(() => client.state === "connected", { timeout: 20000, message: "the client to reconnect" });
    assert.notEqual(client.session, session, "a new session: the old one died with the gateway");
    await waitFor(() => watch.synced && JSON.stringify(view(watch)) === JSON.stringify({ born: "1", changed: "2", keep: "1" }), {
      timeout: 20000,
      message: "the view to converge",
    });
    assert.deepEqual(changes.sort(), ["ADDED born", "DELETED doomed", "MODIFIED changed"]);
    // The changes since the old version came either as such, or (when the gateway cannot tell
    // them) as a resync and a snapshot replacing the view: both give the exact difference above.
    assert.ok(resyncs.length <= 1);
    // It asked to resume the old session, was refused, and re-subscribed from its last version.
    const resent = recorder.sent.filter((s) => s.socket > socketsBefore);
    assert.equal(resent.find((s) => s.frame.type === "hello")?.frame.session, session);
    const resubscribe = resent.find((s) => s.frame.type === "subscribe");
    assert.equal(resubscribe.frame.resourceVersion, versionBefore);
    assert.equal(resubscribe.frame.labelSelector, "suite=restart");
    assert.equal(watch.status, "connected");

    // The log went on from its last line: every line once, none missing.
    const linesBefore = ids.length;
    await waitFor(() => ids.length >= linesBefore + 2, { message: "log lines after the restart" });
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => ids[0] + i), `log ids ${ids}`);
    const logSubscribes = resent.filter((s) => s.frame.type === "subscribe" && s.frame.stream === "logs");
    assert.equal(logSubscribes.length, 1);
    assert.match(logSubscribes[0].frame.sinceTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(logSubscribes[0].frame.tailLines, undefined);

    // The view is the gateway's own list, and it stays live.
    const listed = await http.listAll("/configmaps", { cluster_id: cluster, namespace: "default", labelSelector: "suite=restart" });
    assert.deepEqual(listed.map((o) => o.metadata.name).sort(), ["born", "changed", "keep"]);
    await sim.kube("DELETE", "/api/v1/namespaces/default/configmaps/keep");
    await waitFor(() => !watch.get("keep"), { message: "a live delete after the restart" });
  } finally {
    client.close();
  }
});

test("a cluster outage: status frames, then the view follows the cluster that came back", async () => {
  const client = connect(gateway.wsUrl, { token, reconnect: { minDelay: 100, maxDelay: 500 } });
  try {
    const statuses = [];
    client.on("status", (frame) => statuses.push(`${frame.cluster} ${frame.state}`));
    const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=outage" });
    await watch.whenSynced();
    const created = await client.request("POST", "/configmaps", configMap(cluster, "default", "before-outage", { v: "1" }, { suite: "outage" }));
    assert.equal(created.code, 0, created.msg);
    await waitFor(() => watch.get("before-outage"), { message: "the configmap in the view" });
    const watchStatuses = [];
    watch.on("status", ({ status }) => watchStatuses.push(status));

    // The cluster goes away, and comes back as a fresh cluster (its demo data anew, our configmap gone).
    await sim.pause();
    await waitFor(() => watch.status === "reconnecting" || watch.status === "unreachable", { timeout: 20000, message: "the watch to see the outage" });
    assert.ok(statuses.includes(`${cluster} reconnecting`), statuses.join(", "));
    assert.equal(client.state === "connected" || client.state === "resumed", true, "the socket itself stays up");
    await sim.start();
    await waitFor(() => watch.status === "connected" && !watch.get("before-outage"), { timeout: 40000, message: () => `the watch to recover (${watch.status}, ${watch.objects.size})` });
    assert.equal(statuses.at(-1), `${cluster} connected`);
    assert.deepEqual([watchStatuses[0], watchStatuses.at(-1)], ["reconnecting", "connected"]);

    const added = await client.request("POST", "/configmaps", configMap(cluster, "default", "after-outage", { v: "1" }, { suite: "outage" }));
    assert.equal(added.code, 0, added.msg);
    await waitFor(() => watch.get("after-outage"), { message: "a live change after the outage" });
    assert.deepEqual(watch.list().map((o) => o.metadata.name), ["after-outage"]);
  } finally {
    client.close();
  }
});
