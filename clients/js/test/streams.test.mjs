// Streams: logs, events, metrics, exec (plain and with a terminal), attachTerminal on an exec
// channel and on a terminal ticket socket, and file upload/download.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, attachTerminal } from "../kubegale.js";
import { startGateway, startProxy, demoClusterId, waitFor, nextEvent, within } from "./helpers.mjs";

let gateway, token, cluster, client, pod;

before(async () => {
  gateway = await startGateway();
  token = await gateway.token({ role: "operator" });
  cluster = await demoClusterId(gateway, token);
  client = connect(gateway.wsUrl, { token });
  pod = await waitFor(async () => {
    const { data } = await client.request("GET", "/pods", undefined, { query: { cluster_id: cluster, namespace: "demo" } });
    return data.items.find((p) => p.status?.phase === "Running");
  }, { message: "a running pod in the demo namespace" });
});

after(async () => {
  client?.close();
  await gateway?.dispose();
});

const target = () => ({ cluster, namespace: "demo", pod: pod.metadata.name });

/** A stand-in for an xterm.js 3.8 Terminal: `on`/`off` events, `write`, `cols`/`rows`. */
class FakeTerminal {
  cols = 80;
  rows = 24;
  output = "";
  #listeners = { data: new Set(), resize: new Set() };
  on(event, listener) {
    this.#listeners[event].add(listener);
  }
  off(event, listener) {
    this.#listeners[event].delete(listener);
  }
  write(text) {
    assert.equal(typeof text, "string", "xterm 3.8 takes strings");
    this.output += text;
  }
  type(text) {
    for (const listener of this.#listeners.data) listener(text);
  }
  resize(cols, rows) {
    Object.assign(this, { cols, rows });
    for (const listener of this.#listeners.resize) listener({ cols, rows });
  }
  get listening() {
    return this.#listeners.data.size + this.#listeners.resize.size;
  }
}

test("logs stream lines with pod, container, text and timestamp", async () => {
  const logs = client.logs({ ...target(), tailLines: 5, follow: true });
  const lines = [];
  logs.on("line", (line) => lines.push(line));
  await logs.subscribed;
  await waitFor(() => lines.length >= 3, { message: "three log lines" });
  for (const line of lines) {
    assert.equal(line.pod, pod.metadata.name);
    assert.equal(line.container, pod.spec.containers[0].name);
    assert.equal(typeof line.text, "string");
    assert.ok(!Number.isNaN(Date.parse(line.timestamp)), line.timestamp);
  }
  assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => lines[0].seq + i), "consecutive seqs");
  const closed = nextEvent(logs, "closed");
  logs.close();
  assert.equal(await closed, "closed");
});

test("a log without follow ends by itself", async () => {
  const logs = client.logs({ ...target(), tailLines: 2, follow: false });
  const lines = [];
  logs.on("line", (line) => lines.push(line));
  const reason = await nextEvent(logs, "closed");
  assert.equal(reason, "the log ended");
  assert.equal(lines.length, 2);
});

test("events and metrics streams deliver items", async () => {
  const events = client.events({ cluster, namespace: "demo" });
  const seen = [];
  events.on("event", (event) => seen.push(event));
  await events.whenSynced();
  assert.equal(seen.length, events.objects.size);
  assert.ok([...events.objects.values()].every((e) => e.kind === "Event"));
  events.close();

  const metrics = client.metrics({ cluster, scope: "nodes", interval: 2 });
  const sample = await nextEvent(metrics, "sample", { timeout: 20000 });
  assert.ok(Array.isArray(sample.sample.items) && sample.sample.items.length > 0);
  assert.ok(!Number.isNaN(Date.parse(sample.time)));
  metrics.close();
});

test("exec echo hi: output and exit code; a failing command reports its code", async () => {
  const ex = client.exec({ ...target(), command: ["echo", "hi"] });
  let output = "";
  const decoder = new TextDecoder();
  ex.onData((bytes, stream) => {
    assert.equal(stream, 1);
    output += decoder.decode(bytes, { stream: true });
  });
  await ex.opened;
  assert.ok(ex.channel > 0);
  const exit = await within(ex.exited, 15000, "exec");
  assert.equal(output, "hi\n");
  assert.deepEqual(exit, { code: 0, reason: "exited" });

  const failing = client.exec({ ...target(), command: ["sh", "-c", "echo oops >&2; exit 3"] });
  const streams = [];
  failing.onData((bytes, stream) => streams.push([stream, decoder.decode(bytes)]));
  const exitedVia = new Promise((resolve) => failing.onExit(resolve));
  assert.equal((await exitedVia).code, 3);
  assert.deepEqual(streams, [[2, "oops\n"]]);

  const missing = client.exec({ cluster, namespace: "demo", pod: "no-such-pod", command: ["true"] });
  const error = await missing.opened.catch((e) => e);
  assert.deepEqual([error.code, error.name], [1004, "NotFound"]);
  assert.equal((await missing.exited).code, null);
});

test("exec with a tty: resize, then stty size shows it; attachTerminal pipes both ways", async () => {
  const ex = client.exec({ ...target(), command: ["sh"], tty: true, cols: 80, rows: 24 });
  const term = new FakeTerminal();
  const attachment = attachTerminal(term, ex);
  await ex.opened;
  term.type("stty size\n");
  await waitFor(() => term.output.includes("24 80"), { message: () => `"24 80" in ${JSON.stringify(term.output)}` });
  term.resize(132, 43);
  term.type("stty size\n");
  await waitFor(() => term.output.includes("43 132"), { message: () => `"43 132" in ${JSON.stringify(term.output)}` });
  ex.resize(100, 40); // the exec API directly
  term.type("stty size\n");
  await waitFor(() => term.output.includes("40 100"), { message: () => `"40 100" in ${JSON.stringify(term.output)}` });
  term.type("exit 0\n");
  const exit = await within(attachment.closed, 15000, "the shell to end");
  assert.deepEqual(exit, { code: 0, reason: "exited" });
  assert.equal(term.listening, 0, "detached from the terminal");
});

test("attachTerminal speaks the terminal ticket socket", async () => {
  const { data } = await client.request("GET", `/pods/${pod.metadata.name}/terminal`, undefined, { query: { cluster_id: cluster, namespace: "demo" } });
  assert.match(data.terminal_url, /\/ws\/terminal\//);
  const term = new FakeTerminal();
  term.cols = 90;
  term.rows = 30;
  const exits = [];
  const attachment = attachTerminal(term, data.terminal_url, { onExit: (exit) => exits.push(exit) });
  term.type("stty size\n"); // typed while the socket opens: sent once it is open
  await waitFor(() => term.output.includes("30 90"), { message: () => `"30 90" in ${JSON.stringify(term.output)}` });
  term.resize(120, 50);
  term.type("stty size\n");
  await waitFor(() => term.output.includes("50 120"), { message: () => `"50 120" in ${JSON.stringify(term.output)}` });
  term.type("exit 7\n");
  const exit = await within(attachment.closed, 15000, "the terminal to end");
  assert.equal(exit.code, 7);
  assert.match(exit.reason, /process exited with code 7/);
  assert.deepEqual(exits, [exit]);
});

test("upload then download returns the same bytes, with progress", async () => {
  const bytes = new Uint8Array(randomBytes(700 * 1024));
  const uploadProgress = [];
  const uploaded = await client.upload(new Blob([bytes]), { ...target(), path: "/tmp/kubegale-js.bin", mode: 0o600, onProgress: (p) => uploadProgress.push(p) });
  assert.deepEqual(uploaded, { path: "/tmp/kubegale-js.bin", size: bytes.length });
  assert.ok(uploadProgress.length >= 3, `progress: ${JSON.stringify(uploadProgress)}`);
  assert.deepEqual(uploadProgress.at(-1), { bytes: bytes.length, total: bytes.length });
  assert.ok(uploadProgress.every((p, i) => i === 0 || p.bytes >= uploadProgress[i - 1].bytes), "progress grows");

  const downloadProgress = [];
  const downloaded = await client.download({ ...target(), path: "/tmp/kubegale-js.bin", onProgress: (p) => downloadProgress.push(p) });
  assert.equal(downloaded.format, "file");
  assert.equal(downloaded.filename, "kubegale-js.bin");
  assert.equal(downloaded.size, bytes.length);
  assert.ok(Buffer.from(downloaded.bytes).equals(Buffer.from(bytes)), "same bytes");
  assert.deepEqual(downloadProgress[0], { bytes: 0, total: bytes.length });
  assert.deepEqual(downloadProgress.at(-1), { bytes: bytes.length, total: bytes.length });

  // A string uploads as UTF-8; a directory downloads as a tar archive holding it.
  await client.upload("héllo\n", { ...target(), path: "/tmp/kubegale-dir/note.txt" }).catch(async (error) => {
    assert.equal(error.code, 1004, "a missing directory is 1004");
    const mkdir = client.exec({ ...target(), command: ["mkdir", "-p", "/tmp/kubegale-dir"] });
    assert.equal((await mkdir.exited).code, 0);
    await client.upload("héllo\n", { ...target(), path: "/tmp/kubegale-dir/note.txt" });
  });
  const archive = await client.download({ ...target(), path: "/tmp/kubegale-dir" });
  assert.equal(archive.format, "tar");
  assert.equal(archive.filename, "kubegale-dir.tar");
  const tar = Buffer.from(archive.bytes).toString("latin1");
  assert.ok(tar.includes("kubegale-dir/note.txt"), "the archive names the file");
  assert.ok(Buffer.from(archive.bytes).includes(Buffer.from("héllo\n")), "and holds its UTF-8 bytes");

  const missing = await client.download({ ...target(), path: "/tmp/no-such-file" }).catch((e) => e);
  assert.deepEqual([missing.code, missing.name], [1004, "NotFound"]);
});

test("an aborted transfer rejects with the abort's reason and closes its channel", async () => {
  const errors = [];
  const offError = client.on("error", (error) => errors.push(error));
  try {
    const upload = new AbortController();
    const uploading = client.upload(new Uint8Array(3 * 1024 * 1024), {
      ...target(),
      path: "/tmp/aborted.bin",
      signal: upload.signal,
      onProgress: ({ bytes }) => bytes > 0 && upload.abort(new Error("stop the upload")),
    });
    await assert.rejects(uploading, { message: "stop the upload" });

    const download = new AbortController();
    const downloading = client.download({ ...target(), path: "/tmp/kubegale-js.bin", signal: download.signal, onProgress: () => download.abort() });
    await assert.rejects(downloading, (e) => e.name === "AbortError" || e.name === "Closed");
    const already = await client.download({ ...target(), path: "/tmp/kubegale-js.bin", signal: AbortSignal.abort() }).catch((e) => e);
    assert.ok(already instanceof Error);

    // The session is in order afterwards: a whole transfer works, and nothing was refused.
    const again = await client.download({ ...target(), path: "/tmp/kubegale-js.bin" });
    assert.equal(again.size, 700 * 1024);
    assert.deepEqual(errors, []);
  } finally {
    offError();
  }
});

test("exec and transfer channels end with their socket; the client itself carries on", async () => {
  const proxy = await startProxy(gateway.port);
  const viaProxy = connect(proxy.url, { token, reconnect: { minDelay: 50, maxDelay: 300 } });
  try {
    const shell = viaProxy.exec({ ...target(), command: ["sh"], tty: true });
    await shell.opened;
    const exits = [];
    shell.onExit((exit) => exits.push(exit));
    // An upload still waiting for its channel when the socket goes (the gateway's answers are held).
    proxy.stall();
    const upload = viaProxy.upload(new Uint8Array(1024), { ...target(), path: "/tmp/cut.bin" });
    proxy.dropAll();
    assert.deepEqual(await within(shell.exited, 5000, "the exec to end"), { code: null, reason: "connection lost" });
    assert.deepEqual(exits, [{ code: null, reason: "connection lost" }]);
    const lost = await upload.catch((e) => e);
    assert.deepEqual([lost.code, lost.name], [-2, "ConnectionLost"]);
    await waitFor(() => viaProxy.state === "resumed", { message: "the client to come back" });
    const again = viaProxy.exec({ ...target(), command: ["echo", "back"] });
    assert.deepEqual(await within(again.exited, 15000, "a new exec"), { code: 0, reason: "exited" });
  } finally {
    viaProxy.close();
    await proxy.close();
  }
});
