// Tokens: getToken keeps a connection alive across the expiry of short-lived tokens (moving to a
// fresh socket and resuming before each expires, or after a 4002); a fixed token that expires
// closes the client with TokenExpired, without a reconnect loop.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, decodeJwt } from "../kubegale.js";
import { startGateway, demoClusterId, waitFor, nextEvent, configMap } from "./helpers.mjs";

let gateway, cluster;
const clients = [];

before(async () => {
  gateway = await startGateway();
  cluster = await demoClusterId(gateway, await gateway.token());
});

after(async () => {
  for (const client of clients) client.close();
  await gateway?.dispose();
});

/** getToken that mints a short-lived token each time and remembers them. */
function tokenSource(ttl) {
  const issued = [];
  return {
    issued,
    getToken: async () => {
      const token = await gateway.token({ subject: "refresher", role: "admin", ttl });
      issued.push(decodeJwt(token).exp);
      return token;
    },
  };
}

test("getToken refreshes before expiry: same session, live watch, no 4002", async () => {
  const source = tokenSource("6s");
  const client = connect(gateway.wsUrl, { getToken: source.getToken, reconnect: { minDelay: 50, maxDelay: 300 } });
  clients.push(client);
  const states = [];
  client.on("state", (s) => states.push(s));
  const watch = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=token" });
  await watch.whenSynced();
  const session = client.session;
  const firstExpiry = source.issued[0];

  // Past the first token's expiry (and a refresh or two later) the connection is still the same session.
  await waitFor(() => Date.now() > firstExpiry * 1000 + 1500 && (client.state === "connected" || client.state === "resumed"), {
    timeout: 15000,
    message: "the first token to expire",
  });
  assert.ok(source.issued.length >= 2, `getToken was called again (${source.issued.length})`);
  assert.equal(client.session, session);
  assert.deepEqual(states.filter((s) => s.code === 4002), [], "never closed for an expired token");
  assert.ok(states.some((s) => s.state === "resumed"), "the fresh socket resumed the session");

  const added = nextEvent(watch, "change", { predicate: (c) => c.object.metadata.name === "after-refresh" });
  const created = await client.request("POST", "/configmaps", configMap(cluster, "default", "after-refresh", { v: "1" }, { suite: "token" }));
  assert.equal(created.code, 0);
  await added;
  assert.equal(watch.status, "connected");
  client.close();
});

test("without proactive refresh, a 4002 gets a new token and resumes", async () => {
  const source = tokenSource("3s");
  const client = connect(gateway.wsUrl, { getToken: source.getToken, refreshBefore: 0, reconnect: { minDelay: 50, maxDelay: 300 } });
  clients.push(client);
  await client.ready();
  const session = client.session;
  const expired = await nextEvent(client, "state", { predicate: (s) => s.code === 4002, timeout: 10000 });
  assert.equal(expired.state, "reconnecting");
  await waitFor(() => client.state === "resumed", { message: "the session to be resumed with a new token" });
  assert.equal(client.session, session);
  assert.equal((await client.request("GET", "/clusters")).code, 0);
  client.close();
});

test("a fixed token that expires closes the client with TokenExpired", async () => {
  const token = await gateway.token({ ttl: "3s" });
  const client = connect(gateway.wsUrl, { token, reconnect: { minDelay: 50, maxDelay: 300 } });
  clients.push(client);
  await client.ready();
  const closed = await nextEvent(client, "state", { predicate: (s) => s.state === "closed", timeout: 10000 });
  assert.equal(closed.code, 4002);
  assert.equal(closed.error.name, "TokenExpired");
  assert.equal(client.socket, null);
  await assert.rejects(client.request("GET", "/clusters"), (e) => e.name === "Closed");
});
