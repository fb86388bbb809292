// Requests over the socket: envelopes, typed errors, the 1010 confirmation flow, timeouts, the
// fate of requests in flight when the socket drops, and refused tokens.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, GaleError, ConfirmationRequired } from "../kubegale.js";
import { startGateway, startProxy, demoClusterId, waitFor, nextEvent, recordingWebSocket, configMap } from "./helpers.mjs";

let gateway, adminToken, viewerToken, cluster;
const clients = [];
const open = (url, options) => {
  const client = connect(url, { reconnect: { minDelay: 50, maxDelay: 500 }, ...options });
  clients.push(client);
  return client;
};

before(async () => {
  gateway = await startGateway();
  [adminToken, viewerToken] = await Promise.all([gateway.token({ role: "admin" }), gateway.token({ subject: "val", role: "viewer" })]);
  cluster = await demoClusterId(gateway, adminToken);
});

after(async () => {
  for (const client of clients) client.close();
  await gateway?.dispose();
});

test("connects from an http base URL and answers requests with the envelope", async () => {
  const states = [];
  const client = open(gateway.url, { token: adminToken });
  client.on("state", (change) => states.push(change));
  // Sent before the socket is up: queued until the gateway said hello.
  const early = client.request("GET", "/clusters", undefined, { query: { page: 1, pageSize: 20 } });
  await client.ready();
  assert.equal(client.state, "connected");
  assert.deepEqual(states.map((s) => [s.previous, s.state]), [["connecting", "connected"]]);
  assert.match(client.session, /\S+/);
  assert.equal(client.hello.subject, "tester");
  assert.equal(client.hello.role, "admin");

  const envelope = await early;
  assert.equal(envelope.code, 0);
  assert.equal(envelope.msg, "success");
  assert.ok(envelope.data.items.some((c) => c.id === cluster && c.name === "demo"));

  // The full HTTP path is accepted too, and `query` merges with the path's query string.
  const full = await client.request("GET", "/api/v1/kubernetes/clusters?page=1", undefined, { query: { pageSize: 1 } });
  assert.equal(full.data.pageSize, 1);
  const pods = await client.request("GET", "/pods", undefined, { query: { cluster_id: cluster, namespace: "demo" } });
  assert.ok(pods.data.items.length > 0, "the demo namespace has pods");
});

test("non-zero codes reject with typed GaleErrors", async () => {
  const admin = open(gateway.wsUrl, { token: adminToken });
  const viewer = open(gateway.wsUrl, { token: viewerToken });

  const unknownOperation = await admin.request("GET", "/no-such-route").catch((e) => e);
  assert.ok(unknownOperation instanceof GaleError);
  assert.deepEqual([unknownOperation.code, unknownOperation.name, unknownOperation.method, unknownOperation.path], [1004, "NotFound", "GET", "/no-such-route"]);

  const missingPod = await admin.request("GET", "/pods/no-such-pod", undefined, { query: { cluster_id: cluster, namespace: "demo" } }).catch((e) => e);
  assert.deepEqual([missingPod.code, missingPod.name], [1004, "NotFound"]);

  const missingCluster = await admin.request("GET", "/clusters/987654").catch((e) => e);
  assert.deepEqual([missingCluster.code, missingCluster.name], [1002, "ClusterNotFound"]);

  const forbidden = await viewer.request("POST", "/configmaps", configMap(cluster, "default", "viewer-made", { a: "1" })).catch((e) => e);
  assert.deepEqual([forbidden.code, forbidden.name], [1005, "Forbidden"]);
  // …while reading is allowed to the viewer.
  assert.equal((await viewer.request("GET", "/configmaps", undefined, { query: { cluster_id: cluster, namespace: "default" } })).code, 0);

  const invalid = await admin.request("POST", "/clusters", { name: "broken", description: "", kubeconfig: "not: a kubeconfig" }).catch((e) => e);
  assert.deepEqual([invalid.code, invalid.name], [1001, "InvalidArgument"]);
  assert.ok(invalid.msg.length > 0);
});

test("deleting a pod: 1010 preview, declined, then confirmed, and the pod is gone", async () => {
  const client = open(gateway.wsUrl, { token: adminToken });
  const query = { cluster_id: cluster, namespace: "demo" };
  const { data } = await client.request("GET", "/pods", undefined, { query });
  const pod = data.items[0].metadata.name;
  const path = `/pods/${pod}`;

  const first = await client.request("DELETE", path, undefined, { query }).catch((e) => e);
  assert.ok(first instanceof ConfirmationRequired, `expected 1010, got ${first?.code}`);
  assert.equal(first.code, 1010);
  assert.match(first.confirmToken, /\S+/);
  assert.ok(first.preview.deletes.some((d) => d.kind === "Pod" && d.name === pod), JSON.stringify(first.preview));
  assert.equal((await client.request("GET", path, undefined, { query })).data.metadata.name, pod, "nothing deleted yet");

  const previews = [];
  const declined = await client
    .confirmed("DELETE", path, undefined, { query, onPreview: (preview) => (previews.push(preview), false) })
    .catch((e) => e);
  assert.ok(declined instanceof ConfirmationRequired && declined.declined);
  assert.equal(previews.length, 1);
  assert.equal((await client.request("GET", path, undefined, { query })).code, 0, "declining deleted nothing");

  const done = await client.confirmed("DELETE", path, undefined, { query, onPreview: async () => true });
  assert.equal(done.code, 0);
  await waitFor(async () => (await client.request("GET", path, undefined, { query }).catch((e) => e)).code === 1004, { message: `pod ${pod} to be gone` });

  // Operations that need no confirmation go straight through confirmed().
  const listed = await client.confirmed("GET", "/clusters", undefined, { onPreview: () => assert.fail("no preview expected") });
  assert.equal(listed.code, 0);
});

test("a request without an answer times out; the socket stays usable", async () => {
  const proxy = await startProxy(gateway.port);
  try {
    const client = open(proxy.url, { token: adminToken });
    await client.ready();
    proxy.stall();
    const started = Date.now();
    const error = await client.request("GET", "/clusters", undefined, { timeout: 300 }).catch((e) => e);
    assert.deepEqual([error.code, error.name], [-1, "Timeout"]);
    assert.ok(Date.now() - started < 3000, "rejected near its timeout");
    proxy.resume();
    assert.equal((await client.request("GET", "/clusters")).code, 0);
    assert.equal(client.state, "connected", "no reconnect was needed");
  } finally {
    await proxy.close();
  }
});

test("when the socket drops, GETs in flight are sent again and other requests fail", async () => {
  const proxy = await startProxy(gateway.port);
  try {
    const client = open(proxy.url, { token: adminToken });
    await client.ready();
    const session = client.session;
    proxy.stall(); // the answers never arrive on this socket
    const get = client.request("GET", "/clusters");
    const post = client.request("POST", "/configmaps", configMap(cluster, "default", "in-flight", { a: "1" })).catch((e) => e);
    proxy.dropAll();
    proxy.resume();
    const lost = await post;
    assert.deepEqual([lost.code, lost.name], [-2, "ConnectionLost"]);
    assert.equal((await get).code, 0, "the GET was answered on the new socket");
    await client.ready();
    assert.equal(client.session, session, "the session was resumed");
    assert.equal(client.state, "resumed");
  } finally {
    await proxy.close();
  }
});

test("an invalid token closes the client with Unauthenticated and no reconnect loop", async () => {
  const recorder = recordingWebSocket();
  const client = open(gateway.wsUrl, { token: "not-a-jwt", WebSocket: recorder.WebSocket });
  const closed = await nextEvent(client, "state", { predicate: (s) => s.state === "closed" });
  assert.equal(closed.code, 4001);
  assert.equal(closed.error.name, "Unauthenticated");
  assert.deepEqual(recorder.frames.map((f) => [f.frame.type, f.frame.code]), [["error", 2001]]);
  await assert.rejects(client.ready(), (e) => e.name === "Unauthenticated");
  await assert.rejects(client.request("GET", "/clusters"), (e) => e.name === "Closed");
  assert.equal(recorder.sockets.length, 1, "no second attempt");
});
