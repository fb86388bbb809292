// The watch collection's bookkeeping, fed frame by frame: the cases a healthy gateway rarely
// produces on demand (a seq gap, a resync in the middle of live traffic, replayed duplicates).
// The frames are those of SPEC §6.5; the client around the collection is a recording stand-in.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Watch } from "../kubegale-channels.js";

/** Just enough of the client for a subscription: it records what the subscription sends. */
class StubClient {
  sent = [];
  clusterStatus = new Map();
  _reconnectOptions = { minDelay: 10, maxDelay: 20 };
  #id = 0;
  _nextId(prefix) {
    return `${prefix}${++this.#id}`;
  }
  _whenLive(run) {
    run();
  }
  _cancelWhenLive() {}
  _openChannel(frame) {
    this.sent.push(frame);
  }
  _forgetOpen() {}
  _bindChannel() {}
  _unbindChannel() {}
  _untrack() {}
  _sendFrame(frame) {
    this.sent.push(frame);
  }
}

const pod = (name, rv, extra = {}) => ({ kind: "Pod", metadata: { name, namespace: "demo", uid: `uid-${name}`, resourceVersion: String(rv) }, ...extra });

function openWatch(options = {}) {
  const client = new StubClient();
  const watch = new Watch(client, "watch", { cluster: 1, resource: "pods", namespace: "demo", ...options });
  const changes = [];
  watch.on("change", (c) => changes.push(`${c.type} ${c.object.metadata.name}@${c.object.metadata.resourceVersion}${c.old ? ` (was @${c.old.metadata.resourceVersion})` : ""}`));
  const synced = [];
  watch.on("synced", (s) => synced.push(s.resourceVersion));
  watch._start();
  const subscribe = client.sent.at(-1);
  watch.onOpened(7);
  let seq = 0;
  const feed = {
    event: (event, object, { seqOverride } = {}) =>
      watch.onFrame({ type: "event", channel: 7, seq: seqOverride ?? ++seq, event, object, resourceVersion: object.metadata.resourceVersion }),
    synced: (rv) => watch.onFrame({ type: "synced", channel: 7, seq, resourceVersion: String(rv) }),
    resync: () => watch.onFrame({ type: "resync", channel: 7, reason: "gap" }),
    skip: (n) => (seq += n),
    get seq() {
      return seq;
    },
  };
  return { client, watch, changes, synced, subscribe, feed };
}

test("the first snapshot is applied at synced, then events apply at once", () => {
  const { watch, changes, synced, subscribe, feed } = openWatch({ labelSelector: "app=web" });
  assert.deepEqual(subscribe, { type: "subscribe", id: subscribe.id, stream: "watch", cluster: 1, batch: true, resource: "pods", namespace: "demo", labelSelector: "app=web" });
  feed.event("ADDED", pod("b", 2));
  feed.event("ADDED", pod("a", 1));
  assert.deepEqual(changes, [], "nothing before synced");
  assert.equal(watch.synced, false);
  feed.synced(2);
  assert.deepEqual(changes, ["ADDED b@2", "ADDED a@1"]);
  assert.deepEqual(synced, ["2"]);
  assert.deepEqual(watch.list().map((p) => p.metadata.name), ["a", "b"]);
  feed.event("MODIFIED", pod("a", 3));
  feed.event("DELETED", pod("b", 4));
  feed.event("DELETED", pod("zz", 5)); // never known: nothing changes
  assert.deepEqual(changes.slice(2), ["MODIFIED a@3 (was @1)", "DELETED b@4 (was @2)"]);
  assert.equal(watch.resourceVersion, "5");
  assert.equal(watch.lastSeq, 5);
});

test("replayed frames (seq already seen) are dropped", () => {
  const { watch, changes, feed } = openWatch();
  feed.event("ADDED", pod("a", 1));
  feed.synced(1);
  feed.event("MODIFIED", pod("a", 2));
  feed.event("MODIFIED", pod("a", 2), { seqOverride: 2 }); // the same item again after a resume
  feed.event("ADDED", pod("a", 1), { seqOverride: 1 });
  assert.deepEqual(changes, ["ADDED a@1", "MODIFIED a@2 (was @1)"]);
  assert.equal(watch.get("a").metadata.resourceVersion, "2");
  assert.equal(watch.lastSeq, 2);
});

test("a resync collects a new snapshot on the side and emits the exact difference at synced", () => {
  const { watch, changes, synced, feed } = openWatch();
  for (const [name, rv] of [["keep", 1], ["stale", 2], ["phantom", 3]]) feed.event("ADDED", pod(name, rv));
  feed.synced(3);
  changes.length = 0;
  const resyncs = [];
  watch.on("resync", (r) => resyncs.push(r));
  feed.resync();
  assert.equal(watch.synced, false);
  assert.deepEqual(resyncs, [{ reason: "gap" }]);
  feed.skip(5); // the items that could not be replayed: the snapshot's seqs come after them
  feed.event("ADDED", pod("keep", 1));
  feed.event("ADDED", pod("stale", 9));
  feed.event("ADDED", pod("born", 10));
  feed.event("MODIFIED", pod("born", 11)); // changes during the snapshot land in it
  assert.deepEqual(changes, [], "the old view stays until synced");
  assert.equal(watch.objects.size, 3);
  feed.synced(11);
  assert.deepEqual(changes, ["DELETED phantom@3 (was @3)", "MODIFIED stale@9 (was @2)", "ADDED born@11"]);
  assert.deepEqual(watch.list().map((p) => p.metadata.name), ["born", "keep", "stale"]);
  assert.deepEqual(synced, ["3", "11"]);
  assert.equal(watch.synced, true);
  assert.equal(watch.channel, 7, "the same channel goes on");
  assert.equal(watch.lastSeq, 12);
});

test("a gap in seq restarts the watch with a fresh snapshot that replaces the view", () => {
  const { client, watch, changes, feed } = openWatch();
  feed.event("ADDED", pod("a", 1));
  feed.event("ADDED", pod("b", 2));
  feed.synced(2);
  changes.length = 0;
  feed.skip(1); // seq 3 never arrives
  feed.event("MODIFIED", pod("a", 5));
  assert.deepEqual(changes, [], "the event after the hole is not applied");
  assert.deepEqual(client.sent.slice(-2).map((f) => f.type), ["unsubscribe", "subscribe"]);
  assert.equal(client.sent.at(-2).channel, 7);
  assert.equal(client.sent.at(-1).resourceVersion, undefined, "a fresh snapshot, not a resume by version");
  assert.equal(watch.channel, null);
  // The new channel's snapshot: b was deleted in the hole, a modified.
  watch.onOpened(8);
  watch.onFrame({ type: "event", channel: 8, seq: 1, event: "ADDED", object: pod("a", 5), resourceVersion: "5" });
  watch.onFrame({ type: "synced", channel: 8, seq: 1, resourceVersion: "5" });
  assert.deepEqual(changes, ["DELETED b@2 (was @2)", "MODIFIED a@5 (was @1)"]);
});

test("a lost session re-subscribes by resourceVersion and applies the delta live", () => {
  const { client, watch, changes, feed } = openWatch();
  feed.event("ADDED", pod("a", 1));
  feed.synced(4);
  changes.length = 0;
  watch._socketLost();
  assert.equal(watch.status, "reconnecting");
  watch._sessionReady(false);
  const resubscribe = client.sent.at(-1);
  assert.equal(resubscribe.type, "subscribe");
  assert.equal(resubscribe.resourceVersion, "4");
  watch.onOpened(9);
  assert.equal(watch.status, "connected");
  watch.onFrame({ type: "event", channel: 9, seq: 1, event: "DELETED", object: pod("a", 6), resourceVersion: "6" });
  assert.deepEqual(changes, ["DELETED a@6 (was @1)"], "the delta applies at once");
  watch.onFrame({ type: "synced", channel: 9, seq: 1, resourceVersion: "6" });
  assert.equal(watch.synced, true);
  assert.equal(watch.objects.size, 0);
});

test("a resumed session keeps the channel; a channel the gateway did not resume is opened again", () => {
  const { client, watch, feed } = openWatch();
  feed.event("ADDED", pod("a", 1));
  feed.synced(1);
  watch._socketLost();
  assert.deepEqual(watch._resumeEntry(), [7, 1]);
  const sentBefore = client.sent.length;
  watch._sessionReady(true);
  assert.equal(client.sent.length, sentBefore, "nothing to send: the gateway replays");
  assert.equal(watch.channel, 7);
  watch.onFrame({ type: "unsubscribed", channel: 7, reason: "not resumed" });
  assert.equal(client.sent.at(-1).type, "subscribe");
  assert.equal(watch.status, "subscribing");
});

test("whenSynced waits for synced and fails when the watch closes first", async () => {
  const { client, watch, feed } = openWatch();
  const first = watch.whenSynced();
  feed.synced(1);
  await first;
  await watch.whenSynced(); // already synced: at once
  feed.resync();
  const pending = watch.whenSynced();
  watch.close();
  await assert.rejects(pending, { name: "Closed" });
  assert.deepEqual(client.sent.at(-1), { type: "unsubscribe", channel: 7 });
  assert.equal(watch.status, "closed");
});
