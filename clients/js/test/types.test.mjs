// The declarations check (kubegale.d.ts against protocol/schemas) and the client's pure helpers,
// checked against the protocol's vectors. No gateway needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkTypes, defaultPaths } from "../check-types.mjs";
import { encodeStreamFrame, decodeStreamFrame, decodeJwt, GaleError, ConfirmationRequired, ErrorNames } from "../kubegale.js";
import { socketUrl, backoffDelay } from "../kubegale-core.js";

const vectors = (name) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../protocol/vectors/${name}`, import.meta.url)), "utf8"));
const hex = (bytes) => Buffer.from(bytes).toString("hex");

test("kubegale.d.ts declares every frame of protocol/schemas with the same members and types", () => {
  const problems = checkTypes();
  assert.deepEqual(problems, [], `kubegale.d.ts does not match the schemas:\n  - ${problems.join("\n  - ")}`);
});

test("the declarations check reports mismatches clearly", () => {
  const source = readFileSync(defaultPaths.dts, "utf8");
  const mutate = (from, to) => {
    assert.ok(source.includes(from), `fixture text not found: ${from}`);
    return checkTypes({ dtsSource: source.replace(from, to) });
  };
  assert.deepEqual(mutate("  seq: Seq;\n  resourceVersion?: string;\n}", "  seq?: Seq;\n  resourceVersion?: string;\n}"), [
    "ServerSyncedFrame.seq: declared optional, server/synced.schema.json has it required",
  ]);
  assert.deepEqual(mutate('  type: "exited";', '  type: "exit";'), [
    'server frame "exited" (server/exited.schema.json) has no interface in kubegale.d.ts',
    'ServerExitedFrame: the schemas have no server frame "exit"',
  ]);
  assert.deepEqual(mutate("  mode?: number | null;\n", ""), ['ClientUploadFrame: missing member "mode" (client/upload.schema.json)']);
  assert.deepEqual(mutate('  format?: "file" | "archive";', '  format?: "file" | "tar";'), [
    'ServerProgressFrame.format: declared "file"|"tar", schema null | "archive"|"file" (server/progress.schema.json)',
  ]);
  assert.deepEqual(mutate("  heartbeatSeconds: number;", "  heartbeatSeconds: string;\n  uptime?: number;"), [
    "ServerHelloFrame.heartbeatSeconds: declared string, schema number (server/hello.schema.json)",
    "ServerHelloFrame.uptime: not a member of server/hello.schema.json",
  ]);
  assert.match(mutate("  cols: number;\n  rows: number;\n}", "  cols: Array<number>;\n  rows: number;\n}")[0], /ClientResizeFrame.cols: type "Array<number>" is outside the subset/);
});

// With TypeScript installed (Debian: node-typescript), the declarations must also compile and fit
// the way a console uses the client.
const tsc = [process.env.TSC, "/usr/bin/tsc", "/usr/local/bin/tsc"].find((p) => p && existsSync(p));
test("kubegale.d.ts compiles with tsc --strict and types test/usage-sample.ts", { skip: !tsc && "tsc not installed" }, async () => {
  const sample = fileURLToPath(new URL("./usage-sample.ts", import.meta.url));
  const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "node", "--lib", "es2022,dom", sample];
  const { code, output } = await new Promise((resolve) => execFile(tsc, args, (error, stdout, stderr) => resolve({ code: error?.code ?? 0, output: stdout + stderr })));
  assert.equal(code, 0, `tsc found errors:\n${output}`);
});

test("binary stream frames encode and decode as the protocol vectors say", () => {
  const { valid, invalid } = vectors("stream-frames.json");
  for (const vector of valid) {
    const decoded = decodeStreamFrame(Buffer.from(vector.hex, "hex"));
    assert.deepEqual({ channel: decoded.channel, stream: decoded.stream, payload: hex(decoded.payload) }, { channel: vector.channel, stream: vector.stream, payload: vector.payloadHex }, vector.name);
    assert.equal(hex(encodeStreamFrame(vector.channel, vector.stream, Buffer.from(vector.payloadHex, "hex"))), vector.hex, vector.name);
  }
  for (const vector of invalid) assert.equal(decodeStreamFrame(Buffer.from(vector.hex, "hex")), null, vector.name);
});

test("errors are named by code, including every code of the protocol table", () => {
  for (const { code } of vectors("error-codes.json").codes) {
    if (code === 0) continue;
    assert.ok(ErrorNames[code], `no name for code ${code}`);
    assert.equal(new GaleError(code, "x").name, ErrorNames[code]);
  }
  assert.equal(new GaleError(1004, "no such pod").name, "NotFound");
  assert.equal(new GaleError(4242).name, "GaleError");
  const confirmation = new ConfirmationRequired("confirmation required", { confirm_token: "t.1", preview: { deletes: [] }, operation: "DELETE /pods/x", expires_in: 120 });
  assert.ok(confirmation instanceof GaleError);
  assert.deepEqual([confirmation.code, confirmation.name, confirmation.confirmToken, confirmation.expiresIn], [1010, "ConfirmationRequired", "t.1", 120]);
});

test("URLs: ws URLs are kept, http bases get /ws", () => {
  assert.equal(socketUrl("ws://h:1/ws"), "ws://h:1/ws");
  assert.equal(socketUrl("http://h:1"), "ws://h:1/ws");
  assert.equal(socketUrl("https://h/"), "wss://h/ws");
  assert.equal(socketUrl("https://h/api/v1/kubernetes"), "wss://h/api/v1/kubernetes/ws");
  assert.throws(() => socketUrl("ftp://h"), /unsupported URL/);
});

test("JWT payloads decode without verification; backoff stays within its bounds", () => {
  const payload = { sub: "alice", exp: 1795616000, role: "admin" };
  const token = ["e30", Buffer.from(JSON.stringify(payload)).toString("base64url"), "sig"].join(".");
  assert.deepEqual(decodeJwt(token), payload);
  assert.equal(decodeJwt("not a token"), null);
  for (let attempt = 1; attempt < 20; attempt++) {
    const delay = backoffDelay(attempt, 500, 15000);
    assert.ok(delay >= 125 && delay <= Math.min(15000, 500 * 2 ** (attempt - 1)), `attempt ${attempt}: ${delay}`);
  }
});
