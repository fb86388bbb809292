// Watch collections: snapshot, synced, live changes, close; and an abrupt socket drop that the
// client survives by resuming its session without losing or repeating an event.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect } from "../kubegale.js";
import { startGateway, startProxy, demoClusterId, waitFor, nextEvent, recordingWebSocket, configMap } from "./helpers.mjs";

let gateway, token, cluster, http;
const clients = [];
const open = (url, options) => {
  const client = connect(url, { token, reconnect: { minDelay: 50, maxDelay: 400 }, ...options });
  clients.push(client);
  return client;
};

before(async () => {
  gateway = await startGateway();
  token = await gateway.token({ role: "admin" });
  cluster = await demoClusterId(gateway, token);
  http = gateway.api(token);
});

after(async () => {
  for (const client of clients) client.close();
  await gateway?.dispose();
});

/** name → resourceVersion of a watch's view and of the HTTP list: equal when the view is true. */
const versions = (objects) => Object.fromEntries(objects.map((o) => [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o.metadata.resourceVersion]));
async function matchesHttp(watch, path, query) {
  const truth = versions(await http.listAll(path, { cluster_id: cluster, ...query }));
  const view = versions(watch.list());
  return JSON.stringify(Object.entries(view).sort()) === JSON.stringify(Object.entries(truth).sort());
}

test("a watch delivers the snapshot, synced, live changes, and stops at close", async () => {
  const client = open(gateway.wsUrl);
  const pods = client.watch({ cluster, resource: "pods", namespace: "demo" });
  const deployments = client.watch({ cluster, resource: "deployments", namespace: "demo" });
  const statuses = [];
  pods.on("status", (s) => statuses.push(s.status));
  const added = [];
  pods.on("change", (change) => added.push(change));

  await Promise.all([pods.whenSynced(), deployments.whenSynced()]);
  assert.equal(pods.synced, true);
  assert.equal(pods.status, "connected");
  assert.deepEqual(statuses, ["connected"]);
  assert.ok(pods.channel > 0 && pods.channel !== deployments.channel);
  assert.ok(pods.objects.size > 0);
  assert.equal(added.length, pods.objects.size, "one ADDED per object of the snapshot");
  assert.ok(added.every((c) => c.type === "ADDED" && c.old === undefined));
  assert.match(pods.resourceVersion, /\S+/);
  // Pods of the demo may still be starting: the view follows them to what the HTTP list says.
  await waitFor(() => matchesHttp(pods, "/pods", { namespace: "demo" }), { message: "pods view = HTTP list" });
  const sorted = pods.list().map((p) => p.metadata.name);
  assert.deepEqual(sorted, [...sorted].sort());

  // Scale a deployment up: the deployment is MODIFIED and a new pod is ADDED, live.
  const deployment = deployments.list()[0];
  const name = deployment.metadata.name;
  const replicas = deployment.spec.replicas + 1;
  const modified = nextEvent(deployments, "change", { predicate: (c) => c.type === "MODIFIED" && c.object.spec.replicas === replicas });
  const podAdded = nextEvent(pods, "change", { predicate: (c) => c.type === "ADDED" && c.object.metadata.name.startsWith(name) });
  const scaled = await client.request("POST", `/deployments/${name}/scale`, { cluster_id: cluster, namespace: "demo", replicas });
  assert.equal(scaled.code, 0);
  const change = await modified;
  assert.equal(change.old.spec.replicas, replicas - 1, "MODIFIED carries the previous object");
  await podAdded;
  assert.equal(deployments.get(name, "demo").spec.replicas, replicas);
  await waitFor(() => matchesHttp(pods, "/pods", { namespace: "demo" }), { message: "pods view = HTTP list" });

  // After close nothing more arrives, and the gateway closed the channel.
  const closed = nextEvent(pods, "closed");
  pods.close();
  assert.equal(await closed, "closed");
  assert.equal(pods.status, "closed");
  assert.equal(pods.channel, null);
  const lateChanges = [];
  pods.on("change", (c) => lateChanges.push(c));
  const back = nextEvent(deployments, "change", { predicate: (c) => c.object.spec.replicas === replicas - 1 });
  await client.request("POST", `/deployments/${name}/scale`, { cluster_id: cluster, namespace: "demo", replicas: replicas - 1 });
  await back;
  const ownPods = async () => (await http.listAll("/pods", { cluster_id: cluster, namespace: "demo", labelSelector: `app=${name}` })).length;
  await waitFor(async () => (await ownPods()) === replicas - 1, { timeout: 30000, message: "the scale-down to reach the cluster" });
  assert.deepEqual(lateChanges, []);
  deployments.close();
});

test("subscribing to an unknown resource fails with a typed error", async () => {
  const client = open(gateway.wsUrl);
  const widgets = client.watch({ cluster, resource: "widgets", namespace: "demo" });
  const error = await widgets.subscribed.catch((e) => e);
  assert.deepEqual([error.code, error.name], [1001, "InvalidArgument"]);
  assert.equal(widgets.status, "closed");
});

test("an abrupt drop is resumed: nothing lost, nothing repeated, seq continuous", async () => {
  const proxy = await startProxy(gateway.port);
  try {
    const recorder = recordingWebSocket();
    const client = open(proxy.url, { WebSocket: recorder.WebSocket });
    const selector = { labelSelector: "suite=drop" };
    const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", ...selector });
    await watch.whenSynced();
    for (const name of ["drop-a", "drop-b", "drop-c"]) {
      await client.request("POST", "/configmaps", configMap(cluster, "default", name, { v: "1" }, { suite: "drop" }));
    }
    await waitFor(() => watch.objects.size === 3, { message: "three configmaps in the view" });
    const session = client.session;
    const channel = watch.channel;

    const changes = [];
    watch.on("change", (c) => changes.push(`${c.type} ${c.object.metadata.name}`));
    const states = [];
    client.on("state", (s) => states.push(s.state));

    // Cut the connection and keep the gateway unreachable while the cluster changes.
    proxy.block();
    proxy.dropAll();
    await waitFor(() => client.state === "reconnecting", { message: "the client to notice the drop" });
    assert.equal(watch.status, "reconnecting");
    assert.equal((await http.call("POST", "/configmaps", { body: configMap(cluster, "default", "drop-d", { v: "1" }, { suite: "drop" }) })).code, 0);
    assert.equal((await http.confirmed("DELETE", "/configmaps/drop-a", { query: { cluster_id: cluster, namespace: "default" } })).code, 0);
    const b = (await http.call("GET", "/configmaps/drop-b", { query: { cluster_id: cluster, namespace: "default" } })).data;
    const replaced = await http.confirmed("PUT", "/configmaps/drop-b", { body: { cluster_id: cluster, namespace: "default", content: { ...b, data: { v: "2" } } } });
    assert.equal(replaced.code, 0, replaced.msg);

    proxy.unblock();
    await waitFor(() => client.state === "resumed", { message: "the session to be resumed" });
    assert.equal(client.session, session);
    assert.equal(watch.channel, channel, "the channel survived");
    await waitFor(() => matchesHttp(watch, "/configmaps", { namespace: "default", ...selector }), { message: "view = HTTP list" });
    assert.deepEqual(changes, ["ADDED drop-d", "DELETED drop-a", "MODIFIED drop-b"]);
    assert.equal(watch.get("drop-b", "default").data.v, "2");
    assert.equal(states[0], "reconnecting");
    assert.equal(states.at(-1), "resumed");

    // The new socket opened with the resume hello naming the channel and its last seq…
    const resumeHello = recorder.sent.find((s) => s.socket > 1 && s.frame.type === "hello");
    assert.ok(resumeHello, "a client hello was sent");
    assert.equal(recorder.sent.filter((s) => s.socket === resumeHello.socket)[0], resumeHello, "as the first frame");
    assert.equal(resumeHello.frame.session, session);
    // …and the channel's seqs, over both sockets, run 1, 2, 3… without a hole.
    const seqs = [...new Set(recorder.frames.filter((f) => f.frame.channel === channel).flatMap((f) => itemSeqs(f.frame)))];
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
    assert.equal(watch.lastSeq, seqs.at(-1));
    assert.ok(resumeHello.frame.lastSeq[String(channel)] < watch.lastSeq, "the replay brought the missed events");
  } finally {
    await proxy.close();
  }
});

test("a large snapshot arrives in events frames, unpacked into the view in seq order", async () => {
  const created = [];
  for (let index = 0; index < 150; index++) {
    created.push(http.call("POST", "/configmaps", { body: configMap(cluster, "default", `batch-${index}`, { v: String(index) }, { suite: "batch" }) }));
  }
  for (const answer of await Promise.all(created)) assert.equal(answer.code, 0, answer.msg);
  const recorder = recordingWebSocket();
  const client = open(gateway.wsUrl, { WebSocket: recorder.WebSocket });
  const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=batch" });
  await watch.whenSynced();
  assert.equal(watch.objects.size, 150);
  assert.ok(await matchesHttp(watch, "/configmaps", { namespace: "default", labelSelector: "suite=batch" }));
  const subscribe = recorder.sent.find((s) => s.frame.type === "subscribe");
  assert.equal(subscribe.frame.batch, true);
  const frames = recorder.frames.filter((f) => f.frame.channel === watch.channel);
  assert.ok(frames.some((f) => f.frame.type === "events"), "some items came batched");
  const seqs = frames.flatMap((f) => itemSeqs(f.frame));
  assert.deepEqual(seqs, Array.from({ length: 150 }, (_, i) => i + 1));
  assert.equal(watch.lastSeq, 150);
});

/** The seqs of the items an `event` or `events` frame carries. */
function itemSeqs(frame) {
  if (frame.type === "event") return [frame.seq];
  if (frame.type === "events") return frame.items.map((_, i) => frame.seq - frame.items.length + 1 + i);
  return [];
}

test("a silent connection is noticed by the heartbeat and replaced, resuming the session", async () => {
  const proxy = await startProxy(gateway.port);
  try {
    const recorder = recordingWebSocket();
    const client = open(proxy.url, { WebSocket: recorder.WebSocket, heartbeat: { interval: 1000 } });
    const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=heartbeat" });
    await watch.whenSynced();
    const session = client.session;
    const gone = nextEvent(client, "state", { predicate: (s) => s.state === "reconnecting" });
    proxy.stall(); // the connection stays up but nothing arrives any more
    const change = await gone;
    assert.match(change.reason, /heartbeat/);
    assert.ok(recorder.sent.some((s) => s.socket === 1 && s.frame.type === "ping"), "pings were sent before giving up");
    await waitFor(() => client.state === "resumed", { message: "the session to be resumed" });
    assert.equal(client.session, session);
    const added = nextEvent(watch, "change", { predicate: (c) => c.object.metadata.name === "beat" });
    await client.request("POST", "/configmaps", configMap(cluster, "default", "beat", { v: "1" }, { suite: "heartbeat" }));
    await added;
    // On the new socket the pings get their pongs.
    await waitFor(() => recorder.frames.filter((f) => f.socket > 1 && f.frame.type === "pong").length >= 2, { message: "two pongs" });
  } finally {
    await proxy.close();
  }
});

test("a burst of big changes while disconnected: the view converges to the exact difference", async () => {
  const proxy = await startProxy(gateway.port);
  try {
    const recorder = recordingWebSocket();
    const client = open(proxy.url, { WebSocket: recorder.WebSocket });
    const selector = { labelSelector: "suite=burst" };
    const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", ...selector });
    await watch.whenSynced();
    for (const name of ["small-keep", "small-doomed"]) {
      await client.request("POST", "/configmaps", configMap(cluster, "default", name, { v: "1" }, { suite: "burst" }));
    }
    await waitFor(() => watch.objects.size === 2, { message: "two configmaps in the view" });
    const channel = watch.channel;
    const changes = [];
    watch.on("change", (c) => changes.push(`${c.type} ${c.object.metadata.name}`));
    const resyncs = [];
    watch.on("resync", (r) => resyncs.push(r));

    proxy.block();
    proxy.dropAll();
    await waitFor(() => client.state === "reconnecting", { message: "the client to notice the drop" });
    // More than a channel's replay ring holds (4 MiB), in configmaps whose data does not compress.
    // Depending on where the gateway held them, they are replayed or announced by a resync and a
    // fresh snapshot; either way the view must end up exactly right.
    for (let i = 1; i <= 6; i++) {
      const blob = randomBytes(600 * 1024).toString("base64");
      const created = await http.call("POST", "/configmaps", { body: configMap(cluster, "default", `big-${i}`, { blob }, { suite: "burst" }) });
      assert.equal(created.code, 0, created.msg);
    }
    assert.equal((await http.confirmed("DELETE", "/configmaps/small-doomed", { query: { cluster_id: cluster, namespace: "default" } })).code, 0);

    proxy.unblock();
    await waitFor(() => client.state === "resumed", { message: "the session to be resumed" });
    const expected = ["big-1", "big-2", "big-3", "big-4", "big-5", "big-6", "small-keep"];
    await waitFor(() => watch.synced && JSON.stringify(watch.list().map((o) => o.metadata.name)) === JSON.stringify(expected), {
      timeout: 30000,
      message: () => `the view to converge (${watch.list().map((o) => o.metadata.name)})`,
    });
    await waitFor(() => matchesHttp(watch, "/configmaps", { namespace: "default", ...selector }), { message: "view = HTTP list" });
    assert.deepEqual(changes.sort(), ["ADDED big-1", "ADDED big-2", "ADDED big-3", "ADDED big-4", "ADDED big-5", "ADDED big-6", "DELETED small-doomed"]);
    // One channel throughout: a resync continues the channel (its seq jumps past what was lost).
    assert.equal(watch.channel, channel);
    assert.ok(!recorder.sent.some((f) => f.frame.type === "unsubscribe"), "no re-subscription was needed");
    assert.ok(resyncs.length <= 1);
  } finally {
    await proxy.close();
  }
});
