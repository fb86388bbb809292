// Compiled (not run) by types.test.mjs with `tsc --strict`: the API as kubegale.d.ts declares it,
// used the way a console uses it. A declaration that stops fitting this code fails the test.

import { connect, attachTerminal, GaleError, ConfirmationRequired, ClientCodes, decodeJwt } from "../kubegale.js";
import type { KubeObject, Watch, StateChange, ServerFrame, ClientFrame, Envelope } from "../kubegale.js";

interface PodList {
  items: KubeObject[];
  total: number;
}

export async function sample(term: { cols: number; rows: number; write(data: string): void; on(event: "data" | "resize", listener: (arg: any) => void): void }): Promise<void> {
  class LoggingWebSocket extends WebSocket {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      console.debug("→", typeof data === "string" ? data : "binary");
      super.send(data);
    }
  }
  const client = connect("https://kubegale.example.com", {
    getToken: async () => "eyJ…",
    WebSocket: LoggingWebSocket,
    requestTimeout: 10000,
    reconnect: { minDelay: 250, maxDelay: 10000 },
    heartbeat: { interval: 15000 },
  });
  client.on("state", ({ state, previous, attempt, code, reason, error }: StateChange) => console.log(state, previous, attempt, code, reason, error?.name));
  client.on("status", ({ cluster, state, reason }) => console.log(cluster, state, reason));
  client.on("error", (error) => console.log(error.code, error.msg));
  await client.ready();
  console.log(client.session, client.hello?.heartbeatSeconds, client.state === "resumed");

  const pods: Envelope<PodList> = await client.request<PodList>("GET", "/pods", undefined, { query: { cluster_id: 1, namespace: "demo", page: 1 } });
  console.log(pods.data.items.map((pod) => pod.metadata?.name), pods.data.total);

  try {
    await client.request("DELETE", "/pods/web-0", undefined, { query: { cluster_id: 1, namespace: "demo" } });
  } catch (error) {
    if (error instanceof ConfirmationRequired) console.log(error.preview, error.confirmToken, error.expiresIn, error.declined);
    else if (error instanceof GaleError && error.code === ClientCodes.Timeout) console.log("timeout", error.method, error.path);
  }
  await client.confirmed("DELETE", "/pods/web-0", undefined, { query: { cluster_id: 1, namespace: "demo" }, onPreview: async (preview) => preview !== null });

  const watch: Watch = client.watch({ cluster: 1, resource: "pods", namespace: "demo", labelSelector: "app=web" });
  watch.on("change", ({ type, object, old }) => console.log(type, object.metadata?.uid, old?.metadata?.resourceVersion));
  watch.on("status", ({ status, reason }) => console.log(status === "unreachable", reason));
  watch.on("resync", ({ reason }) => console.log(reason));
  watch.on("closed", (reason) => console.log(reason.length));
  await watch.whenSynced();
  console.log(watch.objects.size, watch.list().length, watch.get("web-0", "demo"), watch.synced, watch.resourceVersion, watch.lastSeq, watch.channel);
  watch.close();

  client.logs({ cluster: 1, namespace: "demo", workload: "deployment/web", tailLines: 100 }).on("line", ({ pod, container, text, timestamp, seq }) => console.log(pod, container, text, timestamp, seq));
  client.events({ cluster: 1, namespace: "demo", kind: "Deployment", name: "web" }).on("event", (event) => console.log(event.kind));
  client.metrics({ cluster: 1, scope: "nodes", interval: 5 }).on("sample", ({ time, sample }) => console.log(time, sample));
  const graph = client.topology({ cluster: 1, namespace: "demo", kind: "Deployment", name: "nginx" });
  graph.on("change", ({ nodesAdded, nodesRemoved, edgesAdded }) => console.log(nodesAdded.map((node) => `${node.kind} ${node.name} ${node.status ?? ""}`), nodesRemoved, edgesAdded.map((edge) => edge.type)));
  await graph.whenSynced();
  console.log(graph.nodeList().length, graph.edgeList().filter((edge) => edge.type === "owns").length, graph.nodes.get("Deployment/demo/nginx")?.status);
  const alerts = client.alerts({ cluster: "1" });
  alerts.on("transition", ({ event, alert, from }) => console.log(event, alert.rule_name, alert.severity, alert.target, from ?? "new"));
  alerts.on("change", ({ type, alert }) => console.log(type, alert.state, alert.fired_at));
  console.log(alerts.list().filter((alert) => alert.state === "firing").length, alerts.synced);

  const exec = client.exec({ cluster: 1, namespace: "demo", pod: "web-0", command: ["sh"], tty: true, cols: term.cols, rows: term.rows });
  exec.onData((bytes, stream) => console.log(bytes.byteLength, stream));
  exec.onExit(({ code, reason }) => console.log(code ?? -1, reason));
  await exec.opened;
  exec.write("ls\n");
  exec.write(new Uint8Array([4]));
  exec.resize(100, 30);
  const attachment = attachTerminal(term, exec);
  attachment.dispose();
  const ticket = await client.request<{ terminal_url: string }>("GET", "/pods/web-0/terminal", undefined, { query: { cluster_id: 1, namespace: "demo" } });
  const { code } = await attachTerminal(term, ticket.data.terminal_url, { onExit: (exit) => console.log(exit.reason) }).closed;
  console.log(code);

  const uploaded = await client.upload(new Blob(["hi"]), { cluster: 1, namespace: "demo", pod: "web-0", path: "/tmp/hi", mode: 0o600, onProgress: ({ bytes, total }) => console.log(bytes / (total ?? 1)) });
  const downloaded = await client.download({ cluster: 1, namespace: "demo", pod: "web-0", path: "/var/log" });
  console.log(uploaded.size, downloaded.bytes.byteLength, downloaded.filename, downloaded.format === "tar", downloaded.reason);

  const frame: ServerFrame = { type: "event", channel: 1, seq: 1, event: "LOG", pod: "web-0", container: "web", time: "2024-01-01T00:00:00Z", line: "GET /" };
  const hello: ClientFrame = { type: "hello", session: client.session, lastSeq: { "1": 17 } };
  console.log(frame.type, hello.type, decodeJwt("a.b.c")?.exp);
  client.close();
}
