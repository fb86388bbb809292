// Byte streams of the KubeGale client: exec sessions, file transfers and attachTerminal.

import { GaleError, ClientCodes, encodeStreamFrame, toBytes, Stream, reportListenerError } from "./kubegale-core.js";

// -----------------------------------------------------------------------------------------------
// Exec channels: a process in a container, its stdin/stdout/stderr as binary stream frames.
// Exec channels are never resumed: they end with their socket (SPEC §5.6, §12.1).
// -----------------------------------------------------------------------------------------------

export class ExecSession {
  channel = null;

  #client;
  #frame;
  #phase = "queued"; // queued → waiting → settling → open
  #send;
  #outbox = []; // input (stream frames, resizes) held until the channel takes input
  #lastError = null; // an error the gateway reported on the channel
  #dataListeners = new Set();
  #exitListeners = new Set();
  #exitCode = null;
  #exit = null;
  #opened;
  #exited;

  constructor(client, options) {
    const { cluster, namespace, pod, container, command, tty = false, cols, rows } = options ?? {};
    if (!Array.isArray(command) || command.length === 0) throw new TypeError("exec() needs a non-empty command array");
    this.#client = client;
    this.tty = Boolean(tty);
    this.#frame = { type: "exec", cluster, namespace, pod, command, tty: this.tty };
    if (container != null) this.#frame.container = container;
    if (cols != null) this.#frame.cols = cols;
    if (rows != null) this.#frame.rows = rows;

    let settleOpened;
    this.opened = new Promise((resolve, reject) => (settleOpened = { resolve, reject }));
    this.opened.catch(() => {});
    this.#opened = settleOpened;
    this.exited = new Promise((resolve) => (this.#exited = resolve));

    this.#send = () => {
      if (this.#phase !== "queued") return;
      this.#phase = "waiting";
      client._openChannel({ ...this.#frame, id: client._nextId("x") }, this);
    };
    client._whenLive(this.#send, (error) => this.#fail(error));
  }

  // --- handler interface used by the client ----------------------------------------------------

  onOpened(channel) {
    if (this.#exit) {
      // closed while waiting for the answer: end the process right away
      this.#client._sendFrame({ type: "unsubscribe", channel });
      return;
    }
    this.channel = channel;
    this.#client._bindChannel(channel, this);
    // The gateway may refuse input that reaches it right after `opened`, before the channel runs
    // ("no open channel"): input is held for one ping round trip, then sent in order.
    this.#phase = "settling";
    this.#client._roundTrip().then(() => {
      if (this.#phase !== "settling" || this.#exit) return;
      this.#phase = "open";
      for (const item of this.#outbox.splice(0)) this.#transmit(item);
    });
    this.#opened.resolve();
  }

  onRefused(error) {
    this.#fail(error);
  }

  onFrame(frame) {
    if (frame.type === "exited") this.#exitCode = frame.code;
    else if (frame.type === "unsubscribed") {
      const reason = frame.reason === "exited" ? frame.reason : (this.#lastError?.message ?? frame.reason ?? "closed");
      this.#finish(this.#exitCode, reason);
    }
  }

  /** A failure of the channel; `unsubscribed` follows when it ended the process. */
  onError(error) {
    this.#lastError = error;
  }

  onBinary(stream, payload) {
    if (stream !== Stream.stdout && stream !== Stream.stderr) return; // status and close frames
    // The payload is a view into the message; copy so listeners may keep it.
    const bytes = payload.slice();
    for (const listener of this.#dataListeners) {
      try {
        listener(bytes, stream);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }

  onSocketLost(error) {
    if (this.#exit) return;
    if (this.#phase === "waiting" || this.#phase === "queued") return this.#fail(error);
    this.#finish(this.#exitCode, error.code === ClientCodes.Closed ? "client closed" : "connection lost");
  }

  // --- public API ------------------------------------------------------------------------------

  write(data) {
    const bytes = toBytes(data);
    if (bytes.byteLength === 0) return;
    // Stay under the gateway's message limit.
    const max = this.#client._maxMessageBytes - 5;
    for (let offset = 0; offset < bytes.byteLength; offset += max) {
      this.#input(Stream.stdin, bytes.subarray(offset, offset + max));
    }
  }

  closeStdin() {
    this.#input(Stream.close, Uint8Array.of(Stream.stdin));
  }

  resize(cols, rows) {
    cols = Math.max(1, Math.min(10000, Math.floor(cols)));
    rows = Math.max(1, Math.min(10000, Math.floor(rows)));
    if (this.#phase === "queued") Object.assign(this.#frame, { cols, rows }); // the initial size
    else this.#enqueue({ resize: { cols, rows } });
  }

  onData(listener) {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onExit(listener) {
    if (this.#exit) {
      const exit = this.#exit;
      queueMicrotask(() => listener(exit));
      return () => {};
    }
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  close() {
    if (this.#exit) return;
    const phase = this.#phase;
    if (phase === "open" || phase === "settling") this.#client._sendFrame({ type: "unsubscribe", channel: this.channel });
    if (phase === "queued") this.#client._cancelWhenLive(this.#send);
    if (phase === "queued" || phase === "waiting") this.#opened.reject(new GaleError(ClientCodes.Closed, "exec closed before it opened"));
    this.#finish(null, "closed");
    // A waiting exec stays "waiting" so that onOpened ends the process the answer names.
    if (phase === "waiting") this.#phase = "waiting";
  }

  // --- internals -------------------------------------------------------------------------------

  #input(stream, payload) {
    this.#enqueue({ stream, payload: payload.slice() });
  }

  /** Sends `item` now when the channel takes input, else keeps it, in order, for then. */
  #enqueue(item) {
    if (this.#exit) return;
    if (this.#phase === "open") this.#transmit(item);
    else this.#outbox.push(item);
  }

  #transmit(item) {
    if (item.resize) this.#client._sendFrame({ type: "resize", channel: this.channel, ...item.resize });
    else this.#client._sendBinary(encodeStreamFrame(this.channel, item.stream, item.payload));
  }

  #fail(error) {
    if (this.#exit) return;
    this.#opened.reject(error);
    this.#finish(null, error.message);
  }

  #finish(code, reason) {
    if (this.#exit) return;
    if (this.channel !== null) this.#client._unbindChannel(this.channel, this);
    this.#phase = "ended";
    this.#exit = { code, reason };
    this.#exited(this.#exit);
    for (const listener of this.#exitListeners) {
      try {
        listener(this.#exit);
      } catch (error) {
        reportListenerError(error);
      }
    }
    this.#exitListeners.clear();
  }
}

// -----------------------------------------------------------------------------------------------
// File transfers like `kubectl cp` (SPEC §5.8, §5.9): upload and download channels.
// -----------------------------------------------------------------------------------------------

const CHUNK = 256 * 1024;
const HIGH_WATER = 1024 * 1024; // bytes buffered in the socket before the upload waits

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isBlob(data) {
  return typeof Blob !== "undefined" && data instanceof Blob;
}

/**
 * Opens a transfer channel; the promise is settled through `settle` by `handler`:
 * `opened(channel, settle)`, `frame(frame, settle)` for its text frames, `binary(stream, payload)`.
 * Errors and the loss of the socket reject it; so does `signal` (the channel is then closed).
 */
function transfer(client, frame, handler, signal) {
  return new Promise((resolve, reject) => {
    let channel = null;
    let settled = false;
    /** Settles once: stops listening to the abort signal and the channel, then `outcome(value)`. */
    const finish = (outcome, value) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", abort);
      if (channel !== null) client._unbindChannel(channel, channelHandler);
      outcome(value);
    };
    const settle = {
      resolve: (value) => finish(resolve, value),
      reject: (error) => finish(reject, error),
      /** Gives up on the transfer from this side: closes its channel too. */
      abandon(error) {
        if (settled) return;
        if (channel !== null) client._sendFrame({ type: "unsubscribe", channel });
        settle.reject(error);
      },
      get settled() {
        return settled;
      },
    };
    const abort = () => settle.abandon(signal.reason ?? new GaleError(ClientCodes.Closed, "transfer aborted"));
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });
    const channelHandler = {
      onOpened(opened) {
        channel = opened;
        if (settled) return client._sendFrame({ type: "unsubscribe", channel });
        client._bindChannel(channel, channelHandler);
        handler.opened?.(channel, settle);
      },
      onRefused: (error) => settle.reject(error),
      onError: (error) => settle.reject(error),
      onSocketLost: (error) => settle.reject(error),
      onFrame: (f) => handler.frame(f, settle),
      onBinary: (stream, payload) => handler.binary?.(stream, payload),
    };
    client._whenLive(() => client._openChannel({ ...frame, id: client._nextId("f") }, channelHandler), settle.reject);
  });
}

function dropNulls(frame) {
  for (const key of Object.keys(frame)) if (frame[key] === undefined || frame[key] === null) delete frame[key];
  return frame;
}

export function upload(client, data, options = {}) {
  const { cluster, namespace, pod, container, path, mode, onProgress, signal } = options;
  const blob = isBlob(data) ? data : null;
  const bytes = blob ? null : toBytes(data);
  const size = blob ? blob.size : bytes.byteLength;
  const frame = dropNulls({ type: "upload", cluster, namespace, pod, container, path, size, mode });

  // Sends the file as stream-0 frames, waiting while the socket has much unsent data.
  async function pump(channel, settle) {
    const chunk = Math.min(CHUNK, client._maxMessageBytes - 5);
    for (let offset = 0; offset < size && !settle.settled; offset += chunk) {
      while (client._bufferedAmount > HIGH_WATER && !settle.settled) await delay(5);
      if (settle.settled) return;
      const end = Math.min(size, offset + chunk);
      const piece = blob ? new Uint8Array(await blob.slice(offset, end).arrayBuffer()) : bytes.subarray(offset, end);
      if (!client._sendBinary(encodeStreamFrame(channel, Stream.stdin, piece))) return; // socket gone: onSocketLost settles
    }
  }

  let channel = null;
  let pumping = false;
  return transfer(client, frame, {
    opened(opened) {
      channel = opened;
    },
    frame(f, settle) {
      if (f.type === "progress") {
        // The first progress (bytes 0) says the channel takes the file; bytes sent before it may be
        // refused by the gateway ("no open channel").
        if (!pumping) {
          pumping = true;
          pump(channel, settle).catch((error) => settle.abandon(error));
        }
        onProgress?.(f.total == null ? { bytes: f.bytes } : { bytes: f.bytes, total: f.total });
      } else if (f.type === "unsubscribed") {
        if (f.reason === "uploaded") settle.resolve({ path, size });
        else settle.reject(new GaleError(ClientCodes.ProtocolError, `upload of ${path} ended: ${f.reason ?? "no reason given"}`));
      }
    },
  }, signal);
}

export function download(client, options = {}) {
  const { cluster, namespace, pod, container, path, onProgress, signal } = options;
  const frame = dropNulls({ type: "download", cluster, namespace, pod, container, path });
  const chunks = [];
  let received = 0;
  let format = "file";
  let filename = path.split("/").filter(Boolean).pop() ?? "download";
  let total;

  return transfer(client, frame, {
    binary(stream, payload) {
      if (stream !== Stream.stdout) return;
      chunks.push(payload.slice());
      received += payload.byteLength;
    },
    frame(f, settle) {
      if (f.type === "progress") {
        if (f.format) format = f.format === "archive" ? "tar" : "file";
        if (f.filename) filename = f.filename;
        if (f.total != null) total = f.total;
        onProgress?.(total === undefined ? { bytes: f.bytes } : { bytes: f.bytes, total });
      } else if (f.type === "unsubscribed") {
        if (!f.reason?.startsWith("downloaded")) {
          return settle.reject(new GaleError(ClientCodes.ProtocolError, `download of ${path} ended: ${f.reason ?? "no reason given"}`));
        }
        if (total !== undefined && format === "file" && received !== total) {
          return settle.reject(new GaleError(ClientCodes.ProtocolError, `download of ${path}: got ${received} of ${total} bytes`));
        }
        const bytes = new Uint8Array(received);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.byteLength;
        }
        settle.resolve({ bytes, filename, format, size: received, reason: f.reason });
      }
    },
  }, signal);
}

// -----------------------------------------------------------------------------------------------
// attachTerminal: an xterm.js terminal on an exec channel or on a terminal ticket socket.
// -----------------------------------------------------------------------------------------------

/** Subscribes to a terminal event with the xterm 3.x (`on`/`off`) or 4+ (`onData`) API. */
function listen(term, event, listener) {
  const modern = event === "data" ? term.onData : term.onResize;
  if (typeof modern === "function") {
    const disposable = modern.call(term, listener);
    return () => disposable?.dispose?.();
  }
  if (typeof term.on === "function") {
    term.on(event, listener);
    return () => term.off?.(event, listener);
  }
  return () => {};
}

function validSize(term) {
  return Number.isInteger(term.cols) && Number.isInteger(term.rows) && term.cols > 0 && term.rows > 0;
}

/** The exit code in the gateway's last terminal line, `[process exited with code N]`. */
function exitFromText(text) {
  const match = /\[process exited with code (-?\d+)\]/.exec(text);
  return match ? Number(match[1]) : null;
}

export function attachTerminal(term, target, options = {}) {
  return typeof target === "string" ? attachTicket(term, target, options) : attachExec(term, target, options);
}

function attachExec(term, exec, { onExit } = {}) {
  const decoder = new TextDecoder();
  const cleanups = [
    exec.onData((bytes) => term.write(decoder.decode(bytes, { stream: true }))),
    listen(term, "data", (data) => exec.write(data)),
    listen(term, "resize", ({ cols, rows }) => exec.resize(cols, rows)),
  ];
  if (validSize(term)) exec.resize(term.cols, term.rows);
  const closed = exec.exited.then((exit) => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    onExit?.(exit);
    return exit;
  });
  return {
    closed,
    dispose() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      exec.close();
    },
  };
}

function attachTicket(term, url, { WebSocket: Socket = globalThis.WebSocket, onExit } = {}) {
  const address = new URL(url, typeof location !== "undefined" ? location.href : undefined);
  if (address.protocol === "http:") address.protocol = "ws:";
  if (address.protocol === "https:") address.protocol = "wss:";
  if (validSize(term)) {
    address.searchParams.set("cols", String(term.cols));
    address.searchParams.set("rows", String(term.rows));
  }
  const socket = new Socket(address.toString());
  socket.binaryType = "arraybuffer";
  const decoder = new TextDecoder();
  let lastText = "";
  let finish;
  const closed = new Promise((resolve) => (finish = resolve));
  // Input typed while the socket is still opening is sent once it is open.
  const queued = [];
  const send = (data) => {
    if (socket.readyState === 0) queued.push(data);
    else if (socket.readyState === 1) socket.send(data);
  };
  socket.onopen = () => {
    for (const data of queued.splice(0)) socket.send(data);
  };
  const cleanups = [
    // Typed input goes as binary so that text which looks like a resize is never taken for one.
    listen(term, "data", (data) => send(toBytes(data))),
    listen(term, "resize", ({ cols, rows }) => send(JSON.stringify({ type: "resize", cols, rows }))),
  ];
  socket.onmessage = (message) => {
    if (typeof message.data === "string") {
      lastText = message.data;
      term.write(message.data);
    } else {
      term.write(decoder.decode(new Uint8Array(message.data), { stream: true }));
    }
  };
  socket.onerror = () => {};
  socket.onclose = (event) => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    const exit = { code: exitFromText(lastText), reason: lastText.trim() || event.reason || `closed (${event.code})` };
    onExit?.(exit);
    finish(exit);
  };
  return {
    closed,
    dispose() {
      for (const cleanup of cleanups.splice(0)) cleanup();
      socket.close(1000);
    },
  };
}
