// Test helpers: a real `kubegale serve` (and `kubegale sim`) per test file, tokens, an HTTP API
// helper, a TCP proxy that can cut or stall connections, and deadline-bound waiting.

import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, createWriteStream, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname, basename } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import net from "node:net";
import http from "node:http";

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.KUBEGALE_BIN ?? resolve(here, "../../../.build/debug/kubegale");
export const OUTPUT = process.env.KUBEGALE_TEST_OUTPUT ?? join(tmpdir(), "kubegale-js-test-output");
mkdirSync(OUTPUT, { recursive: true });

const suite = basename(process.argv[1] ?? "test", ".test.mjs");
let instances = 0;

// ------------------------------------------------------------------------------------------------
// Waiting
// ------------------------------------------------------------------------------------------------

/**
 * Polls `condition` (sync or async) until it returns a truthy value, which is returned; fails after
 * `timeout` ms with `message` (a string, or a function called then).
 */
export async function waitFor(condition, { timeout = 15000, interval = 20, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const what = typeof message === "function" ? message() : message;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** The next `event` of an emitter (the client API's `on`) whose payload satisfies `predicate`. */
export function nextEvent(emitter, event, { predicate = () => true, timeout = 15000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeout} ms waiting for "${event}"`));
    }, timeout);
    const off = emitter.on(event, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolvePromise(payload);
    });
  });
}

/** Rejects when `promise` does not settle in time. */
export function within(promise, timeout, what = "promise") {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeout} ms`)), timeout))),
  ]);
}

// ------------------------------------------------------------------------------------------------
// Processes
// ------------------------------------------------------------------------------------------------

/** Spawns `args`, logging its output to a file, and resolves with the first `pattern` match. */
function spawnUntil(args, pattern, logName, env = {}) {
  const logPath = join(OUTPUT, logName);
  const log = createWriteStream(logPath, { flags: "a" });
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  return new Promise((resolvePromise, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args[0]} did not start within 60 s; see ${logPath}`));
    }, 60000);
    const onData = (chunk) => {
      log.write(chunk);
      if (buffer === null) return;
      buffer += chunk.toString();
      const match = pattern.exec(buffer);
      if (match) {
        buffer = null;
        clearTimeout(timer);
        resolvePromise({ child, match, exited, logPath, log });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${BIN}: ${error.message}`));
    });
    exited.then(({ code, signal }) => {
      if (buffer === null) return;
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code ?? signal}) before it was ready; see ${logPath}`));
    });
  });
}

/**
 * SIGTERM, then SIGKILL after `grace` ms. (With its demo cluster, `kubegale serve` takes about 10 s
 * to finish a graceful shutdown even when idle; at the end of a test file a short grace will do.)
 */
async function stopChild({ child, exited, log }, grace = 30000) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      log.write(`[test helper] no exit ${grace} ms after SIGTERM: SIGKILL\n`);
      child.kill("SIGKILL");
    }, grace);
    await exited;
    clearTimeout(timer);
  }
  await new Promise((r) => log.end(r));
}

export function mintToken(secret, { subject = "tester", role = "admin", clusters = "*", ttl = "1h" } = {}) {
  return new Promise((resolvePromise, reject) => {
    execFile(BIN, ["token", "--jwt-secret", secret, "--subject", subject, "--role", role, "--clusters", clusters, "--ttl", ttl], (error, stdout, stderr) => {
      if (error) reject(new Error(`kubegale token failed: ${stderr || error.message}`));
      else resolvePromise(stdout.trim());
    });
  });
}

/**
 * Starts `kubegale serve` on 127.0.0.1 (port 0 unless given) with a fresh data dir and secret
 * unless given. After `stop()`, `start()` runs it again on the same port, data dir and secret (its
 * log goes on in the same file).
 */
export async function startGateway({ port = 0, dataDir, secret, args = [] } = {}) {
  const instance = ++instances;
  const ownsDataDir = dataDir === undefined;
  dataDir ??= mkdtempSync(join(tmpdir(), "kubegale-js-"));
  secret ??= randomBytes(32).toString("hex");
  const gateway = { dataDir, secret, port, instance, running: null };

  gateway.start = async () => {
    const argv = ["serve", "--host", "127.0.0.1", "--port", String(gateway.port), "--data-dir", dataDir, "--jwt-secret", secret, "--log-level", "info", ...args];
    const running = await spawnUntil(argv, /KubeGale Realtime listening on (http:\/\/[^\s:]+:(\d+))/, `${suite}-gateway-${process.pid}-${instance}.log`);
    gateway.running = running;
    gateway.url = running.match[1];
    gateway.port = Number(running.match[2]);
    gateway.wsUrl = gateway.url.replace(/^http/, "ws") + "/ws";
    return gateway;
  };
  /** A graceful stop (clients see 1001). */
  gateway.stop = async (grace) => {
    if (gateway.running) await stopChild(gateway.running, grace);
    gateway.running = null;
  };
  gateway.dispose = async () => {
    await gateway.stop(3000);
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  gateway.token = (options) => mintToken(secret, options);
  gateway.api = (token) => httpApi(gateway, token);
  try {
    await gateway.start();
  } catch (error) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return gateway;
}

/**
 * Starts `kubegale sim` (plain HTTP, fixed bearer token), a cluster that outlives gateway restarts.
 * `pause()` stops it; `start()` starts a fresh one (its demo data anew) on the same port and token.
 */
export async function startSimulator() {
  const dir = mkdtempSync(join(tmpdir(), "kubegale-sim-"));
  const token = randomBytes(16).toString("hex");
  const kubeconfigPath = join(dir, "kubeconfig.yaml");
  let running;
  let port = 0;
  const start = async () => {
    running = await spawnUntil(
      ["sim", "--host", "127.0.0.1", "--port", String(port), "--plain-http", "--token", token, "--kubeconfig-out", kubeconfigPath],
      /KubeSim listening on (\S+)/,
      `${suite}-sim-${process.pid}-${++instances}.log`,
    );
    port = Number(new URL(running.match[1]).port);
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = running.match[1].replace(/\/$/, "");
  return {
    url,
    token,
    kubeconfig: readFileSync(kubeconfigPath, "utf8"),
    /** Stops the simulator, keeping its port and token for `start()`. */
    async pause() {
      await stopChild(running, 3000);
    },
    start,
    /** A raw Kubernetes API call on the simulator. */
    async kube(method, path, body) {
      const { status, text } = await httpRequest(url + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    async stop() {
      if (running.child.exitCode === null && running.child.signalCode === null) await stopChild(running, 3000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------------------
// HTTP API (the reference the WebSocket views are compared with)
// ------------------------------------------------------------------------------------------------

/**
 * One HTTP exchange on a connection of its own. Not fetch(): Node 20's WebSocket shares fetch's
 * connection pool and may send its upgrade on a kept-alive connection, which the gateway answers
 * with `307` + `Connection: close` instead of switching protocols; the handshake then hangs until
 * the client's connectTimeout.
 */
export function httpRequest(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolvePromise, reject) => {
    const request = http.request(url, { method, headers: { ...headers, Connection: "close" }, agent: false }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolvePromise({ status: response.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

export function httpApi(gateway, token) {
  async function call(method, path, { query, body } = {}) {
    const url = new URL(gateway.url + "/api/v1/kubernetes" + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value != null) url.searchParams.set(key, String(value));
    const response = await httpRequest(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return JSON.parse(response.text);
  }
  return {
    call,
    /** Performs a call that needs confirmation (1010) by repeating it with its confirm token. */
    async confirmed(method, path, options = {}) {
      const first = await call(method, path, options);
      if (first.code !== 1010) return first;
      return call(method, path, { ...options, query: { ...options.query, confirm_token: first.data.confirm_token } });
    },
    /** Every item of a list route (all pages). */
    async listAll(path, query = {}) {
      const items = [];
      for (let page = 1; ; page++) {
        const envelope = await call("GET", path, { query: { ...query, page, pageSize: 500 } });
        if (envelope.code !== 0) throw new Error(`GET ${path}: ${envelope.code} ${envelope.msg}`);
        items.push(...envelope.data.items);
        if (items.length >= envelope.data.total || envelope.data.items.length === 0) return items;
      }
    },
  };
}

export async function demoClusterId(gateway, token) {
  const envelope = await httpApi(gateway, token).call("GET", "/clusters");
  const demo = envelope.data.items.find((c) => c.name === "demo") ?? envelope.data.items[0];
  if (!demo) throw new Error("the gateway has no cluster");
  return demo.id;
}

// ------------------------------------------------------------------------------------------------
// A TCP proxy in front of the gateway: cut every connection abruptly, refuse new ones, or stall.
// ------------------------------------------------------------------------------------------------

export async function startProxy(targetPort) {
  const pairs = new Set();
  let blocked = false;
  const server = net.createServer((client) => {
    if (blocked) return client.destroy();
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream, held: [], stalled: false };
    pairs.add(pair);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => (pair.stalled ? pair.held.push(chunk) : client.write(chunk)));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    get connections() {
      return pairs.size;
    },
    /** Destroys every connection at once (the client sees close 1006). */
    dropAll() {
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
    },
    /** Holds back what the gateway sends on the open connections until `resume()` (new ones flow). */
    stall() {
      for (const pair of pairs) pair.stalled = true;
    },
    resume() {
      for (const pair of pairs) {
        pair.stalled = false;
        for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
      }
    },
    close() {
      this.dropAll();
      return new Promise((r) => server.close(r));
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A WebSocket that records every text frame it receives (to check seq continuity).
// ------------------------------------------------------------------------------------------------

export function recordingWebSocket() {
  const frames = []; // received text frames: {socket, frame}
  const sent = []; // sent text frames: {socket, frame}
  const sockets = [];
  class RecordingWebSocket extends globalThis.WebSocket {
    #index;
    constructor(url, protocols) {
      super(url, protocols);
      sockets.push(this);
      this.#index = sockets.length;
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string") frames.push({ socket: this.#index, frame: JSON.parse(event.data) });
      });
    }
    send(data) {
      if (typeof data === "string") sent.push({ socket: this.#index, frame: JSON.parse(data) });
      super.send(data);
    }
  }
  return { WebSocket: RecordingWebSocket, frames, sent, sockets };
}

/** A configmap body for POST /configmaps. */
export function configMap(cluster, namespace, name, data, labels) {
  return { cluster_id: cluster, namespace, content: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels }, data } };
}
