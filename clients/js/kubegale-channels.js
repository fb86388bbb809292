// Subscriptions: watch, events, logs, metrics, topology and alerts channels that survive reconnects.
//
// A subscription is in one phase at a time:
//   queued   the subscribe waits for a live socket
//   waiting  subscribe sent, no answer yet
//   open     the gateway runs it on `channel`
//   lost     the socket dropped before the answer: subscribe again on the next socket
//   closed   ended for good
// When the session is resumed an open subscription keeps its channel and the gateway replays what
// it missed (frames with seq ≤ lastSeq are dropped as duplicates). When the session is gone it is
// opened again: a watch by its last resourceVersion, a log from the time of its last line.

import { Emitter, GaleError, ClientCodes, backoffDelay } from "./kubegale-core.js";

class Subscription extends Emitter {
  channel = null;
  status = "subscribing";
  lastSeq = 0;

  #client;
  #phase = "queued";
  #id = null;
  #send = null;
  #seen = false; // an event arrived on the current channel
  #retryTimer = null;
  #retries = 0;
  #everOpened = false;
  #settle;

  constructor(client, stream, options) {
    super();
    this.#client = client;
    this.stream = stream;
    this.options = { ...options };
    this.cluster = options.cluster;
    this.subscribed = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    this.subscribed.catch(() => {}); // reported through the `error` event as well
  }

  get closed() {
    return this.#phase === "closed";
  }

  // --- subclass hooks ---------------------------------------------------------------------------

  /** Members of the subscribe frame beyond type, id, stream and cluster. */
  _subscribeOptions() {
    return {};
  }
  /** Called before the subscription is opened again on a new session. */
  _prepareResubscribe() {}
  _onEvent(_frame) {}
  _onSynced(_frame) {}
  _onResync(_frame) {}
  /** Called once when the subscription ends, before the `closed` event. */
  _ended(_reason) {}
  /** Called when the seq jumped: items were lost. Default: report it and carry on. */
  _onGap(expected, got) {
    this.emit("error", new GaleError(ClientCodes.ProtocolError, `channel ${this.channel}: expected seq ${expected}, got ${got}`));
    return true;
  }

  // --- lifecycle --------------------------------------------------------------------------------

  _start() {
    this.#phase = "queued";
    this.#send = () => {
      if (this.#phase !== "queued") return;
      this.#phase = "waiting";
      this.#id = this.#client._nextId("s");
      // batch: items the gateway writes together arrive as one `events` frame (unpacked by the client).
      const frame = { type: "subscribe", id: this.#id, stream: this.stream, cluster: this.cluster, batch: true };
      for (const [key, value] of Object.entries(this._subscribeOptions())) {
        if (value !== undefined && value !== null) frame[key] = value;
      }
      this.#client._openChannel(frame, this);
    };
    this.#client._whenLive(this.#send, (error) => this._clientClosed(error));
  }

  /** Opens the subscription again (new session, lost answer, refused resume, seq gap). */
  _resubscribe() {
    if (this.#phase === "closed") return;
    this.#unbind();
    this._prepareResubscribe();
    this.#setStatus("subscribing");
    this._start();
  }

  #unbind() {
    if (this.channel !== null) this.#client._unbindChannel(this.channel, this);
    this.channel = null;
    this.lastSeq = 0;
    this.#seen = false;
  }

  onOpened(channel) {
    if (this.#phase !== "waiting") return;
    this.#phase = "open";
    this.#everOpened = true;
    this.#retries = 0;
    this.channel = channel;
    this.lastSeq = 0;
    this.#seen = false;
    this.#client._bindChannel(channel, this);
    this.#setStatus(this.#clusterState() ?? "connected");
    this.#settle.resolve();
  }

  onRefused(error) {
    if (this.#phase !== "waiting") return;
    // A cluster that is down (1006) may come back: a subscription that already ran keeps trying.
    if (error.code === 1006 && this.#everOpened) {
      this.#phase = "lost";
      this.#setStatus("unreachable", error.message);
      const { minDelay = 500, maxDelay = 15000 } = this.#client._reconnectOptions ?? {};
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        if (this.#phase === "lost") this._resubscribe();
      }, backoffDelay(++this.#retries, minDelay, maxDelay));
      return;
    }
    this.#end(error, error.message);
  }

  onFrame(frame) {
    if (this.#phase !== "open") return;
    switch (frame.type) {
      case "event": {
        if (this.#seen && frame.seq <= this.lastSeq) return; // replayed twice
        const expected = this.#seen ? this.lastSeq + 1 : frame.seq;
        this.#seen = true;
        this.lastSeq = frame.seq;
        if (frame.seq !== expected && !this._onGap(expected, frame.seq)) return;
        return this._onEvent(frame);
      }
      case "synced":
        return this._onSynced(frame);
      case "resync":
        // The items that could not be replayed are skipped: seq jumps at the next item.
        this.#seen = false;
        return this._onResync(frame);
      case "unsubscribed":
        this.#unbind();
        this.#phase = "lost";
        if (frame.reason === "not resumed") return this._resubscribe();
        return this.#end(null, frame.reason ?? "unsubscribed");
      default:
        return;
    }
  }

  onError(error) {
    this.emit("error", error);
  }

  _socketLost() {
    if (this.#phase === "closed") return;
    if (this.#phase === "waiting") this.#phase = "lost";
    this.#setStatus("reconnecting");
  }

  _sessionReady(resumed) {
    if (this.#phase === "open" && resumed) {
      this.#client._bindChannel(this.channel, this);
      this.#setStatus(this.#clusterState() ?? "connected");
    } else if (this.#phase === "open" || this.#phase === "lost") {
      this.#phase = "lost";
      this._resubscribe();
    }
  }

  _resumeEntry() {
    return this.#phase === "open" ? [this.channel, this.lastSeq] : null;
  }

  _clusterStatus(frame) {
    if (String(frame.cluster) !== String(this.cluster)) return;
    if (this.#phase === "open") this.#setStatus(frame.state, frame.reason);
  }

  #clusterState() {
    const state = this.#client.clusterStatus.get(String(this.cluster))?.state;
    return state === "connected" ? undefined : state;
  }

  /** The client closed: by close() (no error event), or for good after a failure. */
  _clientClosed(error) {
    if (error.code === ClientCodes.Closed) {
      this.#settle.reject(error);
      this.#end(null, "client closed");
    } else {
      this.#end(error, error.message);
    }
  }

  /** Restarts the channel from scratch (used by watches on a seq gap). */
  _restart() {
    if (this.#phase !== "open") return;
    this.#client._sendFrame({ type: "unsubscribe", channel: this.channel });
    this.#phase = "lost";
    this._resubscribe();
  }

  close() {
    if (this.#phase === "closed") return;
    if (this.#phase === "open") this.#client._sendFrame({ type: "unsubscribe", channel: this.channel });
    // A subscribe still waiting for its answer: the client unsubscribes the channel when it comes.
    if (this.#phase === "waiting") this.#client._forgetOpen(this.#id);
    this.#end(null, "closed");
  }

  #end(error, reason) {
    if (this.#phase === "closed") return;
    if (this.#phase === "queued") this.#client._cancelWhenLive(this.#send);
    this.#unbind();
    this.#phase = "closed";
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#client._untrack(this);
    this.#setStatus("closed", reason);
    if (error) {
      this.#settle.reject(error);
      this.emit("error", error);
    }
    this._ended(reason);
    this.emit("closed", reason);
  }

  #setStatus(status, reason) {
    if (this.status === status) return;
    this.status = status;
    this.emit("status", reason === undefined ? { status } : { status, reason });
  }
}

// -----------------------------------------------------------------------------------------------

/** The key of an object in a collection: its uid, else namespace/name. */
function keyOf(object) {
  const meta = object?.metadata ?? {};
  return meta.uid || `${meta.namespace ?? ""}/${meta.name ?? ""}`;
}

function sameObject(a, b) {
  const va = a?.metadata?.resourceVersion;
  const vb = b?.metadata?.resourceVersion;
  if (va !== undefined && vb !== undefined) return va === vb;
  return JSON.stringify(a) === JSON.stringify(b);
}

function byNamespaceAndName(a, b) {
  const na = a.metadata?.namespace ?? "";
  const nb = b.metadata?.namespace ?? "";
  if (na !== nb) return na < nb ? -1 : 1;
  const ma = a.metadata?.name ?? "";
  const mb = b.metadata?.name ?? "";
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/**
 * A live collection. While a snapshot is collected (first subscribe, `resync`, re-subscribe
 * without a usable resourceVersion) items go to `#snapshot`; at `synced` it replaces `objects` and
 * the difference is emitted. Otherwise each event changes `objects` at once.
 */
export class Watch extends Subscription {
  objects = new Map();
  synced = false;
  resourceVersion = undefined;

  #snapshot = new Map();
  #subscribeVersion;
  #syncWaiters = [];

  constructor(client, stream, options) {
    super(client, stream, options);
    this.#subscribeVersion = options.resourceVersion;
    if (options.resourceVersion) {
      // Starting after a known version: the channel sends changes only.
      this.#snapshot = null;
    }
  }

  _subscribeOptions() {
    const { cluster: _cluster, resourceVersion: _rv, ...rest } = this.options;
    return { ...rest, resourceVersion: this.#subscribeVersion };
  }

  _prepareResubscribe() {
    this.synced = false;
    if (this.resourceVersion && !this.#snapshot) {
      // Resume by resourceVersion: the gateway sends the later changes, or resync + snapshot.
      this.#subscribeVersion = this.resourceVersion;
    } else {
      this.#subscribeVersion = undefined;
      this.#snapshot = new Map();
    }
  }

  _onGap() {
    // Something was lost: start over with a fresh snapshot, which replaces the view at `synced`.
    this.#snapshot = new Map();
    this.resourceVersion = undefined;
    this._restart();
    return false;
  }

  _onEvent(frame) {
    if (!frame.object || !["ADDED", "MODIFIED", "DELETED"].includes(frame.event)) return;
    if (frame.resourceVersion) this.resourceVersion = frame.resourceVersion;
    const key = keyOf(frame.object);
    if (this.#snapshot) {
      if (frame.event === "DELETED") this.#snapshot.delete(key);
      else this.#snapshot.set(key, frame.object);
      return;
    }
    const old = this.objects.get(key);
    if (frame.event === "DELETED") {
      if (!old) return;
      this.objects.delete(key);
      this._changed({ type: "DELETED", object: frame.object, old });
    } else {
      this.objects.set(key, frame.object);
      this._changed(old ? { type: frame.event, object: frame.object, old } : { type: frame.event, object: frame.object });
    }
  }

  _onResync(frame) {
    this.#snapshot = new Map();
    this.synced = false;
    this.emit("resync", frame.reason === undefined ? {} : { reason: frame.reason });
  }

  _onSynced(frame) {
    if (frame.resourceVersion) this.resourceVersion = frame.resourceVersion;
    if (this.#snapshot) {
      const next = this.#snapshot;
      this.#snapshot = null;
      const previous = this.objects;
      this.objects = next;
      for (const [key, old] of previous) {
        if (!next.has(key)) this._changed({ type: "DELETED", object: old, old });
      }
      for (const [key, object] of next) {
        const old = previous.get(key);
        if (!old) this._changed({ type: "ADDED", object });
        else if (!sameObject(old, object)) this._changed({ type: "MODIFIED", object, old });
      }
    }
    if (!this.synced) {
      this.synced = true;
      this.emit("synced", this.resourceVersion === undefined ? {} : { resourceVersion: this.resourceVersion });
      for (const { resolve } of this.#syncWaiters.splice(0)) resolve();
    }
  }

  _changed(change) {
    this.emit("change", change);
  }

  _ended(reason) {
    const error = new GaleError(ClientCodes.Closed, `the watch closed: ${reason}`);
    for (const { reject } of this.#syncWaiters.splice(0)) reject(error);
  }

  list() {
    return [...this.objects.values()].sort(byNamespaceAndName);
  }

  get(name, namespace) {
    for (const object of this.objects.values()) {
      if (object.metadata?.name === name && (namespace === undefined || object.metadata?.namespace === namespace)) return object;
    }
    return undefined;
  }

  whenSynced() {
    if (this.synced) return Promise.resolve();
    if (this.closed) return Promise.reject(new GaleError(ClientCodes.Closed, "the watch is closed"));
    return new Promise((resolve, reject) => this.#syncWaiters.push({ resolve, reject }));
  }
}

/** Kubernetes Events as a watch; also emits `event` for every added or modified Event. */
export class EventStream extends Watch {
  _changed(change) {
    super._changed(change);
    if (change.type !== "DELETED") this.emit("event", change.object);
  }
}

/** Container log lines; after a lost session it goes on from the time of its last line. */
export class LogStream extends Subscription {
  #lastTime = null; // ms of the last line
  #atLastTime = new Set(); // lines already seen at #lastTime
  #skipping = false; // after a re-subscribe: drop lines already delivered

  _subscribeOptions() {
    const { cluster: _cluster, pod, ...rest } = this.options;
    return { ...rest, name: pod };
  }

  _prepareResubscribe() {
    if (this.#lastTime === null) return;
    const { tailLines: _t, sinceSeconds: _s, sinceTime: _st, ...rest } = this.options;
    // Whole seconds, as Kubernetes takes them; lines already delivered are dropped in _onEvent.
    const since = new Date(Math.floor(this.#lastTime / 1000) * 1000).toISOString().replace(".000Z", "Z");
    this.options = { ...rest, sinceTime: since };
    this.#skipping = true;
  }

  _onEvent(frame) {
    if (frame.event !== "LOG") return;
    const time = Date.parse(frame.time);
    const key = `${frame.pod}\u0000${frame.container}\u0000${frame.line}`;
    if (!Number.isNaN(time)) {
      if (this.#skipping && (time < this.#lastTime || (time === this.#lastTime && this.#atLastTime.has(key)))) return;
      if (time !== this.#lastTime) {
        this.#lastTime = time;
        this.#atLastTime.clear();
        this.#skipping = false;
      }
      this.#atLastTime.add(key);
    }
    this.emit("line", { pod: frame.pod, container: frame.container, text: frame.line, timestamp: frame.time, seq: frame.seq });
  }
}

/** Metrics samples. */
export class MetricsStream extends Subscription {
  /** A slow reader's samples are skipped by the gateway, by design: a jump is no error here. */
  _onGap() {
    return true;
  }

  _subscribeOptions() {
    const { cluster: _cluster, ...rest } = this.options;
    return rest;
  }

  _onEvent(frame) {
    if (frame.event === "SAMPLE") this.emit("sample", { time: frame.time, sample: frame.sample, seq: frame.seq });
  }
}

// -----------------------------------------------------------------------------------------------

/** The key of a topology edge: its ends and its type. */
function edgeKey(edge) {
  return `${edge.from}\u0000${edge.to}\u0000${edge.type}`;
}

/**
 * A subscription whose channel sends a whole snapshot, `synced`, then changes to it (topology,
 * alerts). A new snapshot (after `resync`, or on a new channel) replaces the state and the
 * difference is emitted as a change; a gap in seq restarts the channel for a fresh snapshot.
 */
class SnapshotSubscription extends Subscription {
  synced = false;
  #syncWaiters = [];

  _subscribeOptions() {
    const { cluster: _cluster, ...rest } = this.options;
    return rest;
  }

  _prepareResubscribe() {
    this.synced = false;
  }

  _onGap() {
    this._restart();
    return false;
  }

  _onResync(frame) {
    this.synced = false;
    this.emit("resync", frame.reason === undefined ? {} : { reason: frame.reason });
  }

  _onSynced() {
    if (this.synced) return;
    this.synced = true;
    this.emit("synced", {});
    for (const { resolve } of this.#syncWaiters.splice(0)) resolve();
  }

  _ended(reason) {
    const error = new GaleError(ClientCodes.Closed, `the ${this.stream} subscription closed: ${reason}`);
    for (const { reject } of this.#syncWaiters.splice(0)) reject(error);
  }

  whenSynced() {
    if (this.synced) return Promise.resolve();
    if (this.closed) return Promise.reject(new GaleError(ClientCodes.Closed, `the ${this.stream} subscription is closed`));
    return new Promise((resolve, reject) => this.#syncWaiters.push({ resolve, reject }));
  }
}

/**
 * The live graph of a namespace (or of one object in it): `nodes` by id and `edges` by their
 * ends and type, kept current from the `SNAPSHOT` and `CHANGED` events. Every change, a
 * replacing snapshot's difference included, is emitted as `change`.
 */
export class Topology extends SnapshotSubscription {
  nodes = new Map();
  edges = new Map();

  _onEvent(frame) {
    if (frame.event === "SNAPSHOT") this.#replace(frame.nodes ?? [], frame.edges ?? []);
    else if (frame.event === "CHANGED") this.#apply(frame);
  }

  #replace(nodes, edges) {
    const nextNodes = new Map(nodes.map((node) => [node.id, node]));
    const nextEdges = new Map(edges.map((edge) => [edgeKey(edge), edge]));
    const change = { nodesAdded: [], nodesUpdated: [], nodesRemoved: [], edgesAdded: [], edgesRemoved: [] };
    for (const [id, node] of nextNodes) {
      const old = this.nodes.get(id);
      if (!old) change.nodesAdded.push(node);
      else if (old.status !== node.status || old.uid !== node.uid) change.nodesUpdated.push(node);
    }
    for (const id of this.nodes.keys()) if (!nextNodes.has(id)) change.nodesRemoved.push(id);
    for (const [key, edge] of nextEdges) if (!this.edges.has(key)) change.edgesAdded.push(edge);
    for (const [key, edge] of this.edges) if (!nextEdges.has(key)) change.edgesRemoved.push(edge);
    this.nodes = nextNodes;
    this.edges = nextEdges;
    this.emit("change", change);
  }

  #apply(frame) {
    const change = {
      nodesAdded: frame.nodesAdded ?? [], nodesUpdated: frame.nodesUpdated ?? [], nodesRemoved: frame.nodesRemoved ?? [],
      edgesAdded: frame.edgesAdded ?? [], edgesRemoved: frame.edgesRemoved ?? [],
    };
    for (const id of change.nodesRemoved) this.nodes.delete(id);
    for (const node of [...change.nodesAdded, ...change.nodesUpdated]) this.nodes.set(node.id, node);
    for (const edge of change.edgesRemoved) this.edges.delete(edgeKey(edge));
    for (const edge of change.edgesAdded) this.edges.set(edgeKey(edge), edge);
    this.emit("change", change);
  }

  /** The nodes sorted by kind and name. */
  nodeList() {
    return [...this.nodes.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  edgeList() {
    return [...this.edges.values()];
  }
}

/** The key of an alert: its rule and what it matched. */
function alertKey(alert) {
  return `${alert.rule_id}\u0000${alert.target}`;
}

/**
 * The pending and firing alerts of a cluster, kept current from the `ALERTS` snapshot and the
 * `PENDING`, `FIRING` and `RESOLVED` transitions (a resolved alert leaves `alerts`). Every
 * transition is emitted as `transition`; a replacing snapshot's difference as `change` only.
 */
export class AlertStream extends SnapshotSubscription {
  alerts = new Map();

  _onEvent(frame) {
    switch (frame.event) {
      case "ALERTS": {
        const next = new Map((frame.alerts ?? []).map((alert) => [alertKey(alert), alert]));
        const previous = this.alerts;
        this.alerts = next;
        for (const [key, old] of previous) {
          if (!next.has(key)) this.emit("change", { type: "removed", alert: old });
        }
        for (const [key, alert] of next) {
          const old = previous.get(key);
          if (!old || old.state !== alert.state) this.emit("change", { type: old ? "updated" : "added", alert });
        }
        return;
      }
      case "PENDING":
      case "FIRING":
      case "RESOLVED": {
        const key = alertKey(frame.alert);
        const known = this.alerts.has(key);
        if (frame.event === "RESOLVED") this.alerts.delete(key);
        else this.alerts.set(key, frame.alert);
        this.emit("transition", { event: frame.event, alert: frame.alert, from: frame.from ?? null, seq: frame.seq });
        if (frame.event === "RESOLVED") {
          if (known) this.emit("change", { type: "removed", alert: frame.alert });
        } else {
          this.emit("change", { type: known ? "updated" : "added", alert: frame.alert });
        }
        return;
      }
      default:
        return;
    }
  }

  /** The alerts, firing before pending, then by rule name and target. */
  list() {
    const rank = { firing: 0, pending: 1 };
    return [...this.alerts.values()].sort((a, b) =>
      (rank[a.state] ?? 2) - (rank[b.state] ?? 2) || a.rule_name.localeCompare(b.rule_name) || a.target.localeCompare(b.target));
  }
}
