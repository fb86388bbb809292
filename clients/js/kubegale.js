// @kubegale/realtime — JavaScript client of KubeGale Realtime (protocol kubegale.v1), for browsers
// and Node ≥ 20. This is the entry module; kubegale.d.ts declares the API, README.md shows it in use.
//
// The connection: one WebSocket at a time, reconnected with backoff, its session resumed.
//
// Life of a socket: open → (client `hello` to resume, when there is a session) → server `hello`
// → "live": queued frames are flushed, subscriptions are resumed or re-opened, heartbeat and
// token refresh are armed. Frames other than the resume `hello` are only sent while live, so a
// resume always comes before any new channel (SPEC §12.1).

import { Emitter, GaleError, ClientCodes, errorFromFrame, decodeJwt, decodeStreamFrame, socketUrl, backoffDelay } from "./kubegale-core.js";
import { Watch, EventStream, LogStream, MetricsStream, Topology, AlertStream } from "./kubegale-channels.js";
import { ExecSession, upload, download } from "./kubegale-streams.js";

export { GaleError, ConfirmationRequired, ErrorNames, ClientCodes, Stream, encodeStreamFrame, decodeStreamFrame, decodeJwt } from "./kubegale-core.js";
export { attachTerminal } from "./kubegale-streams.js";

const PROTOCOL = "kubegale.v1";
const OPEN = 1;

export class KubeGaleClient extends Emitter {
  state = "connecting";
  session = null;
  hello = null;
  clusterStatus = new Map();

  #url;
  #options;
  #WebSocket;
  #ws = null; // the current socket
  #live = false; // the current socket received its hello
  #closed = false;
  #attempt = 0;
  #token = null;
  #nextId = 1;
  #requests = new Map(); // id → pending request
  #waiting = new Map(); // id → handler of subscribed/opened/error for subscribe, exec, upload, download
  #channels = new Map(); // channel → handler of channel frames
  // Channels this client asked to close and whose answer has not come: a channel that ended on
  // the gateway's side meanwhile answers `error` "no open channel", which is no news to anyone.
  #closing = new Set();
  #subscriptions = new Set(); // open watch/events/logs/metrics/topology/alerts subscriptions
  #whenLive = []; // {run, fail} run when a socket goes live, failed when the client closes
  #calls = new Set(); // requests not yet settled, sent or not
  #timers = new Set();
  #reconnectTimer = null;
  #refreshTimer = null;
  #heartbeatTimer = null;
  #lastFrameAt = 0;
  #expiredCloses = 0;
  #refreshing = false; // the socket is being replaced to refresh the token
  #authError = null; // the error frame (2001/2002) the gateway sent before closing with 4001/4002
  #pongWaiters = new Map(); // ping id → resolve, for _roundTrip()
  #binaryChain = Promise.resolve();

  constructor(url, options = {}) {
    super();
    this.#url = socketUrl(url);
    this.#options = {
      requestTimeout: 30000,
      connectTimeout: 10000,
      refreshBefore: 60000,
      ...options,
      reconnect: options.reconnect === false ? false : { minDelay: 500, maxDelay: 15000, ...options.reconnect },
      heartbeat: options.heartbeat === false ? false : typeof options.heartbeat === "object" ? options.heartbeat : {},
    };
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== "function") {
      throw new TypeError("no WebSocket implementation: pass options.WebSocket (Node 20 needs --experimental-websocket)");
    }
    if (options.token == null && typeof options.getToken !== "function") {
      throw new TypeError("connect() needs options.token or options.getToken");
    }
    this.#open();
  }

  /** The raw socket of the moment; for diagnostics and tests. */
  get socket() {
    return this.#ws;
  }

  ready() {
    if (this.state === "connected" || this.state === "resumed") return Promise.resolve();
    if (this.state === "closed") return Promise.reject(this.closeError ?? new GaleError(ClientCodes.Closed, "client closed"));
    return new Promise((resolve, reject) => {
      const off = this.on("state", ({ state, error }) => {
        if (state === "connected" || state === "resumed") {
          off();
          resolve();
        } else if (state === "closed") {
          off();
          reject(error ?? new GaleError(ClientCodes.Closed, "client closed"));
        }
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------------------------------

  request(method, path, body, { query, timeout } = {}) {
    if (this.#closed) return Promise.reject(new GaleError(ClientCodes.Closed, "client closed"));
    method = String(method).toUpperCase();
    if (!path.startsWith("/")) path = "/" + path;
    return new Promise((resolve, reject) => {
      const call = { method, path, id: null };
      const settle = (fn, value) => {
        this.#calls.delete(call);
        this.#requests.delete(call.id);
        this._cancelWhenLive(call.send);
        this.#clearTimer(call.timer);
        fn(value);
      };
      call.resolve = (value) => settle(resolve, value);
      call.reject = (error) => settle(reject, Object.assign(error, { method, path }));
      this.#calls.add(call);
      const ms = timeout ?? this.#options.requestTimeout;
      call.timer = this.#setTimer(() => {
        call.reject(new GaleError(ClientCodes.Timeout, `${method} ${path}: no answer within ${ms} ms`));
      }, ms);
      call.send = () => {
        call.id = this._nextId("r");
        this.#requests.set(call.id, call);
        const frame = { type: "request", id: call.id, method, path };
        if (query != null) frame.query = query;
        if (body !== undefined && body !== null) frame.body = body;
        this.#sendText(frame);
      };
      this._whenLive(call.send, call.reject);
    });
  }

  async confirmed(method, path, body, { onPreview, query, timeout } = {}) {
    if (typeof onPreview !== "function") throw new TypeError("confirmed() needs options.onPreview");
    try {
      return await this.request(method, path, body, { query, timeout });
    } catch (error) {
      if (error?.code !== 1010) throw error;
      if (!(await onPreview(error.preview, error))) {
        error.declined = true;
        throw error;
      }
      return this.request(method, path, body, { query: { ...query, confirm_token: error.confirmToken }, timeout });
    }
  }

  #onResponse(frame) {
    const call = this.#requests.get(frame.id);
    if (!call) return; // timed out, or an answer to a socket we gave up on
    if (frame.code === 0) call.resolve({ code: 0, data: frame.data ?? null, msg: frame.msg });
    else call.reject(errorFromFrame(frame));
  }

  // ---------------------------------------------------------------------------------------------
  // Channels
  // ---------------------------------------------------------------------------------------------

  watch(options) {
    if (!options?.resource) throw new TypeError("watch() needs a resource");
    return this.#track(new Watch(this, "watch", options));
  }

  events(options) {
    return this.#track(new EventStream(this, "events", options));
  }

  logs(options) {
    return this.#track(new LogStream(this, "logs", options));
  }

  metrics(options) {
    return this.#track(new MetricsStream(this, "metrics", options));
  }

  topology(options) {
    if (!options?.namespace) throw new TypeError("topology() needs a namespace");
    return this.#track(new Topology(this, "topology", options));
  }

  alerts(options) {
    return this.#track(new AlertStream(this, "alerts", options));
  }

  exec(options) {
    return new ExecSession(this, options);
  }

  upload(data, options) {
    return upload(this, data, options);
  }

  download(options) {
    return download(this, options);
  }

  #track(subscription) {
    if (this.#closed) throw new GaleError(ClientCodes.Closed, "client closed");
    this.#subscriptions.add(subscription);
    subscription._start();
    return subscription;
  }

  // --- used by subscriptions, exec and transfers -----------------------------------------------

  _nextId(prefix) {
    return `${prefix}${this.#nextId++}`;
  }

  get _reconnectOptions() {
    return this.#options.reconnect || undefined;
  }

  get _maxMessageBytes() {
    return this.hello?._maxMessageBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Runs `run` now when the socket is live, else as soon as the next one is; `fail(error)` is
   * called instead when the client closes first.
   */
  _whenLive(run, fail) {
    if (this.#closed) fail?.(new GaleError(ClientCodes.Closed, "client closed"));
    else if (this.#live) run();
    else this.#whenLive.push({ run, fail });
  }

  /**
   * Resolves once the gateway answered a ping sent now, i.e. has read every frame sent before it;
   * also when the socket goes away first (the caller sees that otherwise).
   */
  _roundTrip() {
    return new Promise((resolve) => {
      const id = this._nextId("p");
      this.#pongWaiters.set(id, resolve);
      if (!this.#sendText({ type: "ping", id })) {
        this.#pongWaiters.delete(id);
        resolve();
      }
    });
  }

  _cancelWhenLive(run) {
    this.#whenLive = this.#whenLive.filter((entry) => entry.run !== run);
  }

  /** Sends a frame that opens something (`subscribe`, `exec`, …); `handler` gets the answer. */
  _openChannel(frame, handler) {
    this.#waiting.set(frame.id, handler);
    this.#sendText(frame);
  }

  _forgetOpen(id) {
    this.#waiting.delete(id);
  }

  _bindChannel(channel, handler) {
    this.#channels.set(channel, handler);
  }

  _unbindChannel(channel, handler) {
    if (this.#channels.get(channel) === handler) this.#channels.delete(channel);
  }

  _untrack(subscription) {
    this.#subscriptions.delete(subscription);
  }

  _sendFrame(frame) {
    if (frame.type === "unsubscribe") this.#closing.add(frame.channel);
    return this.#sendText(frame);
  }

  _sendBinary(bytes) {
    if (!this.#live || this.#ws?.readyState !== OPEN) return false;
    this.#ws.send(bytes);
    return true;
  }

  get _bufferedAmount() {
    return this.#ws?._bufferedAmount ?? 0;
  }

  #sendText(frame) {
    if (this.#ws?.readyState !== OPEN) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------------------------

  #setState(state, details = {}) {
    const previous = this.state;
    if (previous === state && state !== "reconnecting") return;
    this.state = state;
    this.emit("state", { state, previous, ...details });
  }

  async #obtainToken() {
    const { getToken, token } = this.#options;
    if (typeof getToken === "function") {
      const fresh = await getToken();
      if (typeof fresh !== "string" || !fresh) throw new GaleError(2001, "getToken() returned no token");
      return fresh;
    }
    return token;
  }

  async #open() {
    let token;
    try {
      token = await this.#obtainToken();
    } catch (error) {
      if (this.#closed) return;
      this.#scheduleReconnect({ reason: `getToken failed: ${error?.message ?? error}` });
      return;
    }
    if (this.#closed) return;
    this.#token = token;
    const protocols = token ? [PROTOCOL, "bearer." + token] : [PROTOCOL];
    let ws;
    try {
      ws = new this.#WebSocket(this.#url, protocols);
    } catch (error) {
      this.#scheduleReconnect({ reason: String(error?.message ?? error) });
      return;
    }
    this.#ws = ws;
    this.#live = false;
    ws.binaryType = "arraybuffer";
    // The handshake of this socket. The gateway sends the hello of the socket's own session at once;
    // a client that asked to resume gets a second hello answering it: the session it named when
    // resumed, else the new session's again (SPEC §12.1).
    const handshake = { resumeFrom: null, first: null };
    // A handshake can hang (a proxy, or a runtime that sends the upgrade on a kept-alive connection):
    // give up on a socket that brought no hello in time, and try again.
    let helloTimer = this.#setTimer(() => this.#drop(ws, 4000, "no hello from the gateway"), this.#options.connectTimeout);
    const onHello = (frame) => {
      this.#clearTimer(helloTimer);
      if (!handshake.resumeFrom) return this.#goLive(frame, false);
      if (frame.session === handshake.resumeFrom) return this.#goLive(frame, true);
      if (handshake.first) return this.#goLive(frame, false);
      // The socket's own hello: wait for the answer to ours (not forever).
      handshake.first = frame;
      helloTimer = this.#setTimer(() => this.#ws === ws && !this.#live && this.#goLive(handshake.first, false), this.#options.connectTimeout);
    };
    ws.onopen = () => {
      this.#lastFrameAt = Date.now();
      if (this.session) {
        // Resume: name the earlier session and the last seq of every channel we want back.
        const lastSeq = {};
        for (const subscription of this.#subscriptions) {
          const entry = subscription._resumeEntry();
          if (entry) lastSeq[String(entry[0])] = entry[1];
        }
        handshake.resumeFrom = this.session;
        this.#sendText({ type: "hello", session: this.session, lastSeq });
      }
    };
    ws.onmessage = (message) => {
      if (this.#ws !== ws) return;
      this.#lastFrameAt = Date.now();
      if (typeof message.data === "string") {
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch {
          return this.emit("error", new GaleError(ClientCodes.ProtocolError, "the gateway sent a frame that is not JSON"));
        }
        if (frame?.type === "hello") {
          if (!this.#live) onHello(frame);
        } else {
          this.#onFrame(frame);
        }
      } else if (message.data instanceof ArrayBuffer || ArrayBuffer.isView(message.data)) {
        this.#onBinary(message.data);
      } else if (message.data && typeof message.data.arrayBuffer === "function") {
        // A Blob (binaryType not honoured): keep the order of binary frames.
        this.#binaryChain = this.#binaryChain.then(() => message.data.arrayBuffer()).then((buffer) => {
          if (this.#ws === ws) this.#onBinary(buffer);
        });
      }
    };
    // Some runtimes (Node 20) report a failed handshake with an error event and no close event.
    ws.onerror = () => this.#drop(ws, 1006, "connection failed");
    ws.onclose = (event) => {
      this.#clearTimer(helloTimer);
      if (this.#ws === ws) this.#onSocketGone(event.code, event.reason);
    };
  }

  /** Gives up on a socket at once (dead, or being replaced), without waiting for its close event. */
  #drop(ws, code, reason) {
    if (this.#ws !== ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code >= 4000 && code < 5000 ? code : 1000, reason);
    } catch {
      // already closing
    }
    this.#onSocketGone(code, reason);
  }

  #onSocketGone(code, reason) {
    const ws = this.#ws;
    if (ws) ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.#ws = null;
    this.#live = false;
    this.#clearTimer(this.#heartbeatTimer);
    this.#clearTimer(this.#refreshTimer);
    this.#heartbeatTimer = this.#refreshTimer = null;
    for (const resolve of this.#pongWaiters.values()) resolve();
    this.#pongWaiters.clear();
    if (this.#closed) return;

    // Requests in flight: GETs are sent again on the next socket (they change nothing); others may or
    // may not have been performed, so they fail.
    for (const call of [...this.#requests.values()]) {
      this.#requests.delete(call.id);
      if (call.method === "GET") {
        this.#whenLive.push({ run: call.send, fail: call.reject });
      } else {
        call.reject(new GaleError(ClientCodes.ConnectionLost, `${call.method} ${call.path}: the connection was lost before the answer (close ${code})`));
      }
    }

    // Channels waiting for their answer, and exec/transfer channels, end with their socket;
    // subscriptions are told to wait for the next one.
    const lost = new GaleError(ClientCodes.ConnectionLost, `connection lost (close ${code}${reason ? `: ${reason}` : ""})`);
    for (const handler of this.#waiting.values()) handler.onSocketLost?.(lost);
    this.#waiting.clear();
    for (const handler of new Set(this.#channels.values())) handler.onSocketLost?.(lost);
    for (const subscription of this.#subscriptions) subscription._socketLost();
    this.#channels.clear();
    this.#closing.clear();

    const authError = this.#authError;
    this.#authError = null;
    if (code === 4001) return this.#fail(authError ?? new GaleError(2001, reason || "authentication failed"), code);
    if (code === 4002) {
      this.#expiredCloses++;
      if (typeof this.#options.getToken !== "function" || this.#expiredCloses > 2) {
        return this.#fail(authError ?? new GaleError(2002, reason || "token expired"), code);
      }
      return this.#reconnectNow({ code, reason });
    }
    if (this.#options.reconnect === false) return this.#fail(lost, code);
    if (this.#refreshing) {
      this.#refreshing = false;
      return this.#reconnectNow({ code, reason });
    }
    this.#scheduleReconnect({ code, reason });
  }

  #reconnectNow(details) {
    this.#attempt++;
    this.#setState("reconnecting", { attempt: this.#attempt, ...details });
    this.#open();
  }

  #scheduleReconnect(details) {
    if (this.#closed) return;
    if (this.#options.reconnect === false) return this.#fail(new GaleError(ClientCodes.ConnectionLost, details.reason || "connection failed"));
    this.#attempt++;
    const { minDelay, maxDelay } = this.#options.reconnect;
    const delay = backoffDelay(this.#attempt, minDelay, maxDelay);
    const everConnected = this.session !== null;
    this.#setState(everConnected ? "reconnecting" : "connecting", { attempt: this.#attempt, delay, ...details });
    this.#clearTimer(this.#reconnectTimer);
    this.#reconnectTimer = this.#setTimer(() => this.#open(), delay);
  }

  #fail(error, code) {
    this.closeError = error;
    this.#shutdown(error, { code, reason: error.message, error });
  }

  #onFrame(frame) {
    switch (frame?.type) {
      case "response":
        return this.#onResponse(frame);
      case "pong": {
        const resolve = this.#pongWaiters.get(frame.id);
        this.#pongWaiters.delete(frame.id);
        return resolve?.();
      }
      case "subscribed":
      case "opened": {
        const handler = this.#waiting.get(frame.id);
        this.#waiting.delete(frame.id);
        if (handler) handler.onOpened(frame.channel);
        else if (typeof frame.channel === "number") this.#sendText({ type: "unsubscribe", channel: frame.channel });
        return;
      }
      case "error":
        return this.#onError(frame);
      case "status":
        this.clusterStatus.set(frame.cluster, frame);
        for (const subscription of this.#subscriptions) subscription._clusterStatus(frame);
        return this.emit("status", frame);
      case "events": {
        // Consecutive items of one channel: handled as the `event` frames they stand for.
        const handler = this.#channels.get(frame.channel);
        if (!handler || !Array.isArray(frame.items)) return;
        const first = frame.seq - frame.items.length + 1;
        frame.items.forEach((item, index) => {
          handler.onFrame({ ...item, type: "event", channel: frame.channel, seq: first + index });
        });
        return;
      }
      case "event":
      case "synced":
      case "resync":
      case "unsubscribed":
      case "exited":
      case "progress": {
        const handler = this.#channels.get(frame.channel);
        handler?.onFrame(frame);
        if (frame.type === "unsubscribed") {
          this.#channels.delete(frame.channel);
          // The answer to our unsubscribe; a channel that ended by itself ("downloaded", say)
          // still has the error answer to come.
          if (frame.reason === "unsubscribed") this.#closing.delete(frame.channel);
        }
        return;
      }
      default:
        return; // later versions may add frame types
    }
  }

  #onError(frame) {
    const error = errorFromFrame(frame);
    if (frame.id !== undefined) {
      const call = this.#requests.get(frame.id);
      if (call) return call.reject(error);
      const handler = this.#waiting.get(frame.id);
      if (handler) {
        this.#waiting.delete(frame.id);
        return handler.onRefused(error);
      }
    }
    if (frame.channel !== undefined) {
      const handler = this.#channels.get(frame.channel);
      if (handler) return handler.onError(error);
      if (this.#closing.delete(frame.channel)) return; // it had ended before our unsubscribe came
    }
    if (frame.code === 2001 || frame.code === 2002) this.#authError = error;
    this.emit("error", error);
  }

  #onBinary(data) {
    const frame = decodeStreamFrame(data);
    if (frame) this.#channels.get(frame.channel)?.onBinary?.(frame.stream, frame.payload);
  }

  #goLive(frame, resumed) {
    this.session = frame.session;
    this.hello = frame;
    this.#live = true;
    this.#attempt = 0;
    this.#expiredCloses = 0;
    this.emit("hello", frame);
    for (const subscription of this.#subscriptions) subscription._sessionReady(resumed);
    const pending = this.#whenLive;
    this.#whenLive = [];
    for (const { run } of pending) run();
    this.#armHeartbeat(frame);
    this.#armTokenRefresh();
    this.#setState(resumed ? "resumed" : "connected");
  }

  #armHeartbeat(hello) {
    if (this.#options.heartbeat === false) return;
    const interval = this.#options.heartbeat.interval ?? hello.heartbeatSeconds * 1000;
    const ws = this.#ws;
    const tick = () => {
      if (this.#ws !== ws) return;
      const silence = Date.now() - this.#lastFrameAt;
      if (silence >= 2 * interval) return this.#drop(ws, 4000, "heartbeat: no frame from the gateway");
      if (silence >= interval) this.#sendText({ type: "ping", id: this._nextId("p") });
      this.#heartbeatTimer = this.#setTimer(tick, Math.max(250, interval / 2));
    };
    this.#heartbeatTimer = this.#setTimer(tick, Math.max(250, interval / 2));
  }

  /** With getToken: move to a fresh socket (resuming the session) before the token expires. */
  #armTokenRefresh() {
    if (typeof this.#options.getToken !== "function" || !this.#options.refreshBefore) return;
    const exp = decodeJwt(this.#token)?.exp;
    if (typeof exp !== "number") return;
    const remaining = exp * 1000 - Date.now();
    const lead = Math.min(this.#options.refreshBefore, remaining / 2);
    const ws = this.#ws;
    this.#refreshTimer = this.#setTimer(() => this.#refreshSocket(ws), Math.max(0, remaining - lead));
  }

  async #refreshSocket(ws) {
    if (this.#ws !== ws || this.#closed) return;
    // Let requests that change something finish first (they would fail with the socket), but not
    // past the token's expiry.
    const exp = decodeJwt(this.#token)?.exp ?? 0;
    const mutating = () => [...this.#requests.values()].some((call) => call.method !== "GET");
    while (this.#ws === ws && mutating() && Date.now() < exp * 1000 - 2000) {
      await new Promise((resolve) => this.#setTimer(resolve, 50));
    }
    if (this.#ws !== ws || this.#closed) return;
    this.#refreshing = true;
    this.#drop(ws, 4000, "token refresh");
  }

  close() {
    if (this.#closed) return;
    this.#shutdown(new GaleError(ClientCodes.Closed, "client closed"), { code: 1000, reason: "client closed" });
  }

  #shutdown(error, details) {
    this.#closed = true;
    const ws = this.#ws;
    this.#ws = null;
    this.#live = false;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, "client closed");
      } catch {
        // already closed
      }
    }
    for (const call of [...this.#calls]) call.reject(error);
    this.#pongWaiters.clear();
    const unsent = this.#whenLive;
    this.#whenLive = [];
    for (const { fail } of unsent) fail?.(error);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const handler of this.#waiting.values()) handler.onSocketLost?.(error);
    this.#waiting.clear();
    for (const handler of new Set(this.#channels.values())) handler.onSocketLost?.(error);
    this.#channels.clear();
    this.#closing.clear();
    for (const subscription of [...this.#subscriptions]) subscription._clientClosed(error);
    this.#subscriptions.clear();
    this.#setState("closed", details);
  }

  #setTimer(fn, ms) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer) {
    if (timer == null) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }
}

export function connect(url, options) {
  return new KubeGaleClient(url, options);
}
