// The client in a real browser: headless Chromium loads a page from the gateway, which serves the
// client's modules beside the console's (`/assets/kubegale.js`, …), and runs smokePage() below in it.
// Skipped when no Chromium is installed (set CHROMIUM to its path to choose one).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway, within } from "./helpers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const chromium = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && existsSync(p));

let gateway, site;

before(async () => {
  if (!chromium) return;
  // A console folder laid out like clients/: console/ with the page, js/ the client itself.
  site = mkdtempSync(join(tmpdir(), "kubegale-browser-"));
  mkdirSync(join(site, "console"));
  symlinkSync(resolve(here, ".."), join(site, "js"));
  writeFileSync(join(site, "console", "smoke.js"), `(${smokePage})();\n`);
  writeFileSync(join(site, "console", "index.html"), '<!doctype html><meta charset="utf-8"><title>smoke</title><script type="module" src="/assets/smoke.js"></script>\n');
  gateway = await startGateway({ args: ["--console-dir", site] });
});

after(async () => {
  await gateway?.dispose();
  if (site) rmSync(site, { recursive: true, force: true });
});

/**
 * The page's script, run in the browser (its source is written to the served smoke.js): it connects
 * with the token in the URL's fragment, uses each part of the client, and reports each result as a
 * console line `SMOKE {"step": …, "value": …}` that runPage() reads.
 */
async function smokePage() {
  const { connect, GaleError } = await import("./kubegale.js");

  const report = (step, value) => console.log("SMOKE " + JSON.stringify({ step, value }));
  const client = connect(location.origin, { token: location.hash.slice(1), reconnect: { minDelay: 50, maxDelay: 500 } });
  const states = [];
  client.on("state", ({ state }) => states.push(state));

  try {
    await client.ready();
    report("hello", { session: client.session, compression: client.hello.compression });
    const cluster = (await client.request("GET", "/clusters")).data.items[0].id;
    const missing = await client.request("GET", "/no-such-route").catch((e) => e);
    report("error", { isGaleError: missing instanceof GaleError, name: missing.name });

    const pods = client.watch({ cluster, resource: "pods", namespace: "demo" });
    await pods.whenSynced();
    // The demo pods may still be starting: the live view tells when one runs.
    const running = () => pods.list().find((p) => p.status?.phase === "Running");
    const pod = running() ?? (await new Promise((resolve) => pods.on("change", () => running() && resolve(running()))));
    report("watch", { size: pods.objects.size });

    const target = { cluster, namespace: "demo", pod: pod.metadata.name };
    const ex = client.exec({ ...target, command: ["echo", "from the browser"] });
    let text = "";
    const decoder = new TextDecoder();
    ex.onData((bytes) => (text += decoder.decode(bytes, { stream: true })));
    const exit = await ex.exited;
    report("exec", { text, ...exit });

    const bytes = new Uint8Array(300000).map((_, i) => i % 251);
    await client.upload(new Blob([bytes]), { ...target, path: "/tmp/browser.bin" });
    const downloaded = await client.download({ ...target, path: "/tmp/browser.bin" });
    report("transfer", { size: downloaded.size, same: downloaded.bytes.every((b, i) => b === i % 251) });

    // Drop the socket: the client resumes the session and the watch stays live.
    const configMaps = client.watch({ cluster, resource: "configmaps", namespace: "default", labelSelector: "suite=browser" });
    await configMaps.whenSynced();
    const session = client.session;
    client.socket.close(4000, "test drop");
    await new Promise((resolve) => client.on("state", ({ state }) => state === "resumed" && resolve()));
    const added = new Promise((resolve) => configMaps.on("change", ({ type, object }) => resolve(`${type} ${object.metadata.name}`)));
    await client.request("POST", "/configmaps", {
      cluster_id: cluster,
      namespace: "default",
      content: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "from-browser", labels: { suite: "browser" } }, data: { a: "1" } },
    });
    report("resume", { sameSession: client.session === session, change: await added, states });
    client.close();
    report("done", true);
  } catch (error) {
    report("failed", `${error?.name}: ${error?.message}\n${error?.stack}`);
  }
}

/** Opens `url` in headless Chromium and collects the page's SMOKE reports until done or failed. */
async function runPage(url) {
  const profile = mkdtempSync(join(tmpdir(), "kubegale-chromium-"));
  const browser = spawn(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr", "--v=0", `--user-data-dir=${profile}`, url], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true, // its own process group, so that its helpers end with it
  });
  const reports = {};
  const finished = new Promise((resolvePromise) => {
    // Chromium logs console messages as `[…:INFO:CONSOLE(n)] "MESSAGE", source: URL (n)`, one a line
    // (the page's JSON escapes its own newlines).
    let buffer = "";
    browser.stderr.on("data", (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const line of lines) {
        const match = /"SMOKE (.*)", source: /.exec(line);
        if (!match) continue;
        const { step, value } = JSON.parse(match[1]);
        reports[step] = value;
        if (step === "done" || step === "failed") resolvePromise();
      }
    });
  });
  try {
    await within(finished, 60000, "the page");
  } finally {
    try {
      process.kill(-browser.pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(profile, { recursive: true, force: true });
  }
  return reports;
}

test("the client works in a real browser: requests, watch, exec, files, resume", { skip: !chromium && "no Chromium found" }, async () => {
  const token = await gateway.token({ subject: "browser", role: "operator" });
  const reports = await runPage(`${gateway.url}/#${token}`);
  assert.equal(reports.failed, undefined, reports.failed);
  assert.equal(reports.hello.compression, true, "permessage-deflate negotiated by the browser");
  assert.deepEqual(reports.error, { isGaleError: true, name: "NotFound" });
  assert.ok(reports.watch.size > 0);
  assert.deepEqual(reports.exec, { text: "from the browser\n", code: 0, reason: "exited" });
  assert.deepEqual(reports.transfer, { size: 300000, same: true });
  assert.deepEqual(reports.resume, { sameSession: true, change: "ADDED from-browser", states: ["connected", "reconnecting", "resumed"] });
  assert.equal(reports.done, true);
});
