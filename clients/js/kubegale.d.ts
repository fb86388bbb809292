// Type declarations of @kubegale/realtime, the JavaScript client of KubeGale Realtime
// (protocol `kubegale.v1`, see protocol/SPEC.md).
//
// The frame interfaces below are checked against protocol/schemas/{client,server}/*.schema.json
// by check-types.mjs, which parses this file with a small purpose-built parser. Frame
// declarations therefore stay within this subset of TypeScript:
//
//   * a frame is `export interface ClientXxxFrame { … }` or `export interface ServerXxxFrame { … }`
//     (no `extends`, no generics), one per frame `type`, with a member `type: "xxx";`;
//   * each member is on its own line: `name: T;` (required) or `name?: T;` (optional), with an
//     optional trailing `// comment`; `/** … */` comments may precede it;
//   * T is a `|`-union of: `string`, `number`, `boolean`, `null`, `unknown`, string or number
//     literals (`"ADDED"`, `0`), `string[]`, `JsonObject[]`, or one of the aliases `FrameId`, `ClusterRef`,
//     `Channel`, `Seq`, `ErrorCode`, `JsonObject`, `SeqByChannel` declared in this file.
//
// Everything after the frame section is the client API and is not constrained by the checker.

// ---------------------------------------------------------------------------------------------
// Wire aliases
// ---------------------------------------------------------------------------------------------

/** Correlation id chosen by the client and echoed verbatim. */
export type FrameId = string | number;
/** Cluster id; `3` and `"3"` name the same cluster. */
export type ClusterRef = string | number;
/** Channel number assigned by the gateway, 1…4294967295. */
export type Channel = number;
/** Per-channel sequence number (≥ 0, +1 per item). */
export type Seq = number;
/** Result codes of SPEC §10. */
export type ErrorCode = 0 | 1001 | 1002 | 1003 | 1004 | 1005 | 1006 | 1007 | 1008 | 1009 | 1010 | 2001 | 2002 | 5001;
/** Any JSON object. */
export type JsonObject = { [key: string]: unknown };
/** Last seq processed per channel, keyed by the channel number in decimal. */
export type SeqByChannel = { [channel: string]: number };

// ---------------------------------------------------------------------------------------------
// Client frames (client → gateway)
// ---------------------------------------------------------------------------------------------

export interface ClientPingFrame {
  type: "ping";
  id?: FrameId | null;
}

export interface ClientRequestFrame {
  type: "request";
  id: FrameId;
  method: string; // GET, POST, PUT, PATCH or DELETE
  path: string; // relative to /api/v1/kubernetes, may carry a query string
  query?: JsonObject | null;
  body?: unknown;
}

export interface ClientHelloFrame {
  type: "hello";
  session?: string | null;
  lastSeq?: SeqByChannel | null;
}

export interface ClientSubscribeFrame {
  type: "subscribe";
  id: FrameId;
  stream: "watch" | "logs" | "events" | "metrics" | "topology" | "alerts";
  cluster: ClusterRef;
  resource?: string | null;
  namespace?: string | null;
  name?: string | null;
  labelSelector?: string | null;
  fieldSelector?: string | null;
  resourceVersion?: string | null;
  /** Items written together arrive as one `events` frame (the client sets it and unpacks them). */
  batch?: boolean;
}

export interface ClientUnsubscribeFrame {
  type: "unsubscribe";
  channel: Channel;
}

export interface ClientExecFrame {
  type: "exec";
  id: FrameId;
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string | null;
  command: string[];
  tty?: boolean | null;
  cols?: number | null;
  rows?: number | null;
}

export interface ClientResizeFrame {
  type: "resize";
  channel: Channel;
  cols: number;
  rows: number;
}

export interface ClientUploadFrame {
  type: "upload";
  id: FrameId;
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string | null;
  path: string;
  size: number;
  mode?: number | null;
}

export interface ClientDownloadFrame {
  type: "download";
  id: FrameId;
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string | null;
  path: string;
}

export type ClientFrame =
  | ClientPingFrame | ClientRequestFrame | ClientHelloFrame | ClientSubscribeFrame
  | ClientUnsubscribeFrame | ClientExecFrame | ClientResizeFrame | ClientUploadFrame
  | ClientDownloadFrame;

// ---------------------------------------------------------------------------------------------
// Server frames (gateway → client)
// ---------------------------------------------------------------------------------------------

export interface ServerHelloFrame {
  type: "hello";
  protocol: "kubegale.v1";
  session: string;
  subject: string;
  role: "viewer" | "operator" | "admin";
  heartbeatSeconds: number;
  maxMessageBytes: number;
  compression: boolean;
}

export interface ServerPongFrame {
  type: "pong";
  id?: FrameId;
}

export interface ServerResponseFrame {
  type: "response";
  id: FrameId;
  code: ErrorCode;
  msg: string;
  data: unknown;
}

export interface ServerErrorFrame {
  type: "error";
  id?: FrameId;
  channel?: Channel;
  code: ErrorCode;
  msg: string;
}

export interface ServerSubscribedFrame {
  type: "subscribed";
  id: FrameId;
  channel: Channel;
}

export interface ServerOpenedFrame {
  type: "opened";
  id: FrameId;
  channel: Channel;
}

/** One item on a channel; which optional members are present depends on `event`. */
export interface ServerEventFrame {
  type: "event";
  channel: Channel;
  seq: Seq;
  event: "ADDED" | "MODIFIED" | "DELETED" | "LOG" | "SAMPLE" | "SNAPSHOT" | "CHANGED" | "ALERTS" | "PENDING" | "FIRING" | "RESOLVED";
  object?: JsonObject; // ADDED, MODIFIED, DELETED
  resourceVersion?: string; // ADDED, MODIFIED, DELETED
  cluster?: string; // ADDED, MODIFIED, DELETED on a watch of several clusters: the object's cluster id
  pod?: string; // LOG
  container?: string; // LOG
  time?: string; // LOG, SAMPLE (RFC 3339)
  line?: string; // LOG
  sample?: JsonObject; // SAMPLE
  nodes?: JsonObject[]; // SNAPSHOT (topology): every node {id, kind, name, …}
  edges?: JsonObject[]; // SNAPSHOT (topology): every edge {from, to, type}
  nodesAdded?: JsonObject[]; // CHANGED (topology)
  nodesUpdated?: JsonObject[]; // CHANGED (topology)
  nodesRemoved?: string[]; // CHANGED (topology): node ids
  edgesAdded?: JsonObject[]; // CHANGED (topology)
  edgesRemoved?: JsonObject[]; // CHANGED (topology)
  alerts?: JsonObject[]; // ALERTS: the pending and firing alerts
  alert?: JsonObject; // PENDING, FIRING, RESOLVED: the alert after the transition
  from?: "pending" | "firing" | null; // PENDING, FIRING, RESOLVED: the state before (null: a new alert)
}

/** Consecutive items of one channel (`batch: true`): `seq` is the last item's. */
export interface ServerEventsFrame {
  type: "events";
  channel: Channel;
  seq: Seq;
  items: JsonObject[]; // each: the members of a ServerEventFrame without type, channel and seq
}

export interface ServerSyncedFrame {
  type: "synced";
  channel: Channel;
  seq: Seq;
  resourceVersion?: string;
}

export interface ServerUnsubscribedFrame {
  type: "unsubscribed";
  channel: Channel;
  reason?: string;
}

export interface ServerExitedFrame {
  type: "exited";
  channel: Channel;
  code: number;
}

export interface ServerStatusFrame {
  type: "status";
  cluster: string;
  state: "connected" | "reconnecting" | "unreachable";
  reason?: string;
}

export interface ServerResyncFrame {
  type: "resync";
  channel: Channel;
  reason?: string;
}

export interface ServerProgressFrame {
  type: "progress";
  channel: Channel;
  bytes: number;
  total?: number;
  format?: "file" | "archive";
  filename?: string;
  done?: boolean;
}

export type ServerFrame =
  | ServerHelloFrame | ServerPongFrame | ServerResponseFrame | ServerErrorFrame
  | ServerSubscribedFrame | ServerOpenedFrame | ServerEventFrame | ServerEventsFrame | ServerSyncedFrame
  | ServerUnsubscribedFrame | ServerExitedFrame | ServerStatusFrame | ServerResyncFrame
  | ServerProgressFrame;

// ---------------------------------------------------------------------------------------------
// Client API
// ---------------------------------------------------------------------------------------------

/** Binary stream numbers of SPEC §9. */
export declare const Stream: {
  readonly stdin: 0; readonly stdout: 1; readonly stderr: 2; readonly status: 3;
  readonly resize: 4; readonly close: 255;
};

/** Error code → error name (`1004` → `"NotFound"`), plus the client-side codes below. */
export declare const ErrorNames: Readonly<Record<number, string>>;

/**
 * Codes the client itself uses (negative, never sent by the gateway):
 * -1 Timeout (a request got no answer within its timeout),
 * -2 ConnectionLost (the socket dropped while a non-GET request was in flight, or an exec/transfer
 *    channel ended with its socket), -3 Closed (the client was closed), -4 ProtocolError (the gateway
 *    sent something the client cannot use).
 */
export declare const ClientCodes: {
  readonly Timeout: -1; readonly ConnectionLost: -2; readonly Closed: -3; readonly ProtocolError: -4;
};

/**
 * Every failure the client reports. `name` follows the code: 1001 InvalidArgument,
 * 1002 ClusterNotFound, 1003 NamespaceNotFound, 1004 NotFound, 1005 Forbidden,
 * 1006 ClusterUnavailable, 1007 CreateFailed, 1008 UpdateFailed, 1009 DeleteFailed,
 * 1010 ConfirmationRequired, 2001 Unauthenticated, 2002 TokenExpired, 5001 Internal,
 * -1 Timeout, -2 ConnectionLost, -3 Closed, -4 ProtocolError; any other code: "GaleError".
 */
export declare class GaleError extends Error {
  constructor(code: number, msg?: string, data?: unknown);
  readonly code: number;
  readonly msg: string;
  readonly data: unknown;
  /** Set for errors about a request. */
  method?: string;
  path?: string;
}

/** The 1010 answer of a delete, replace or drain: nothing changed yet. */
export declare class ConfirmationRequired extends GaleError {
  readonly preview: JsonObject | null;
  readonly confirmToken: string;
  readonly operation: string;
  readonly expiresIn: number;
  /** Set by `confirmed()` when `onPreview` said no. */
  declined: boolean;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "resumed" | "closed";

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Reconnection attempt number (1, 2, …) while reconnecting. */
  attempt?: number;
  /** ms until that attempt, when it waits (backoff). */
  delay?: number;
  /** Close code of the socket that ended, when one did. */
  code?: number;
  reason?: string;
  /** Why the client closed for good (4001, token failure, …). */
  error?: GaleError;
}

/** The subset of the WebSocket API the client uses (browser WebSocket, Node ≥ 20 global). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  // `any` events, so that the DOM's WebSocket (and subclasses of it) fit.
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  readonly bufferedAmount?: number;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ConnectOptions {
  /** A fixed JWT. */
  token?: string;
  /** Called at connect, at every reconnect, after a 4002 and ~`refreshBefore` ms before `exp`. */
  getToken?: () => string | Promise<string>;
  /** Default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Default timeout of `request()` in ms; default 30000. */
  requestTimeout?: number;
  /** ms a new socket may take to bring the gateway's hello before it is dropped and retried; default 10000. */
  connectTimeout?: number;
  /** Full-jitter exponential backoff between reconnection attempts; `false` disables reconnecting. */
  reconnect?: false | { minDelay?: number; maxDelay?: number };
  /**
   * JSON `ping` after `interval` ms (default: hello.heartbeatSeconds) without traffic; a socket that
   * stays silent for two intervals is treated as dead and replaced. `false` turns it off.
   */
  heartbeat?: boolean | { interval?: number };
  /**
   * With getToken: move to a fresh socket (resuming the session) with a new token this many ms before
   * the token expires (at most half its remaining life); default 60000. 0 turns it off: the client
   * then waits for the gateway's 4002 and reconnects with a new token. Exec and transfer channels
   * end with the socket they run on (they are never resumed).
   */
  refreshBefore?: number;
}

/** Successful answer of `request()`. */
export interface Envelope<T = any> {
  code: 0;
  data: T;
  msg: string;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** ms; default the client's `requestTimeout`. */
  timeout?: number;
}

export interface ConfirmOptions extends RequestOptions {
  /** Shown the 1010 answer; resolve `true` to perform the operation. */
  onPreview: (preview: JsonObject | null, confirmation: ConfirmationRequired) => boolean | Promise<boolean>;
}

/** A small event emitter: `on` returns a function that removes the listener. */
export interface Emitter<Events extends Record<string, any>> {
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void;
  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void;
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void;
}

/** Status of a subscription. */
export type SubscriptionStatus =
  | "subscribing" // waiting for `subscribed`
  | "connected" // running
  | "reconnecting" // the socket or the cluster's upstream is being re-established
  | "unreachable" // the cluster's upstream failed repeatedly; the gateway keeps trying
  | "closed"; // ended (see the `closed` event)

export interface StatusChange {
  status: SubscriptionStatus;
  reason?: string;
}

interface SubscriptionEvents {
  status: StatusChange;
  error: GaleError;
  /** The subscription ended: by `close()`, by the gateway (`unsubscribed` reason), or by an error. */
  closed: string;
}

/** Common part of watch, events, logs, metrics, topology and alerts subscriptions. */
export interface Subscription<Events extends Record<string, any>> extends Emitter<Events> {
  readonly stream: "watch" | "events" | "logs" | "metrics" | "topology" | "alerts";
  readonly cluster: ClusterRef;
  /** True once ended (see the `closed` event). */
  readonly closed: boolean;
  /** Current channel number (changes when the subscription is re-opened on a new session). */
  readonly channel: number | null;
  readonly status: SubscriptionStatus;
  /** Last seq processed on the current channel. */
  readonly lastSeq: number;
  /** Resolves when the gateway accepted the subscription; rejects with its error. */
  readonly subscribed: Promise<void>;
  /** Unsubscribe; idempotent. */
  close(): void;
}

export interface WatchOptions {
  cluster: ClusterRef;
  resource: string;
  namespace?: string;
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version (only the later changes, or a resync). */
  resourceVersion?: string;
}

export type KubeObject = JsonObject & {
  kind?: string;
  apiVersion?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [key: string]: unknown };
};

export interface WatchChange<T = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: T;
  /** The previous state for MODIFIED and DELETED (and for an ADDED that replaced a known object). */
  old?: T;
}

export interface WatchEvents<T = KubeObject> extends SubscriptionEvents {
  change: WatchChange<T>;
  /** The view is complete (first snapshot, and after every resync). */
  synced: { resourceVersion?: string };
  /** The gateway could not replay a gap; a new snapshot is being collected. */
  resync: { reason?: string };
}

/**
 * A live collection. `objects` is never stale: after a resync or a gateway restart the new
 * snapshot replaces it at `synced`, and the exact difference is emitted as `change` events
 * (DELETED for objects that vanished).
 */
export interface Watch<T = KubeObject> extends Subscription<WatchEvents<T>> {
  /** uid (or namespace/name when there is no uid) → object. */
  readonly objects: Map<string, T>;
  /** Objects sorted by namespace and name. */
  list(): T[];
  get(name: string, namespace?: string): T | undefined;
  /** True once the first snapshot is complete; false again while a resync snapshot is collected. */
  readonly synced: boolean;
  /** Resolves at the next `synced` (immediately when already synced). */
  whenSynced(): Promise<void>;
  /** Latest resourceVersion seen. */
  readonly resourceVersion: string | undefined;
}

export interface EventsOptions {
  cluster: ClusterRef;
  namespace?: string;
  /** The involved object's kind (or a plural / short name). */
  kind?: string;
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
}

export interface EventStreamEvents extends WatchEvents {
  /** A Kubernetes Event that was added or modified (the snapshot's too). */
  event: KubeObject;
}
/** Kubernetes Events as a live collection, plus an `event` per added or modified Event. */
export interface EventStream extends Watch {
  on<K extends keyof EventStreamEvents>(event: K, listener: (payload: EventStreamEvents[K]) => void): () => void;
  once<K extends keyof EventStreamEvents>(event: K, listener: (payload: EventStreamEvents[K]) => void): () => void;
  off<K extends keyof EventStreamEvents>(event: K, listener: (payload: EventStreamEvents[K]) => void): void;
}

export interface LogsOptions {
  cluster: ClusterRef;
  namespace: string;
  /** Exactly one of pod, labelSelector, workload (`deployment/NAME`, …). */
  pod?: string;
  labelSelector?: string;
  fieldSelector?: string;
  workload?: string;
  container?: string;
  allContainers?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  previous?: boolean;
  limitBytes?: number;
  /** Default true. */
  follow?: boolean;
  timestamps?: boolean;
}

export interface LogLine {
  pod: string;
  container: string;
  text: string;
  /** RFC 3339 time the apiserver gave the line. */
  timestamp: string;
  seq: number;
}

export interface LogStreamEvents extends SubscriptionEvents {
  line: LogLine;
}
export interface LogStream extends Subscription<LogStreamEvents> {}

export interface MetricsOptions {
  cluster: ClusterRef;
  scope?: "cluster" | "nodes" | "pods";
  namespace?: string;
  /** Seconds, 2…3600; default 15. */
  interval?: number;
}

export interface MetricsSample {
  time: string;
  sample: JsonObject;
  seq: number;
}

export interface MetricsStreamEvents extends SubscriptionEvents {
  sample: MetricsSample;
}
export interface MetricsStream extends Subscription<MetricsStreamEvents> {}

export interface TopologyOptions {
  cluster: ClusterRef;
  namespace: string;
  /** Draw the graph around one object: its kind (or plural / short name) and `name`. */
  kind?: string;
  name?: string;
}

/** A node of the graph: `id` is `Kind/namespace/name` (`Kind//name` for Nodes and PersistentVolumes). */
export interface TopologyNode {
  id: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  /** A short state: a Pod's phase, `ready/desired` of a workload, a Node's `Ready`, a claim's phase, a Service's type. */
  status?: string;
  [key: string]: unknown;
}

export interface TopologyEdge {
  from: string;
  to: string;
  /** `owns`, `selects`, `endpoints`, `routes`, `mounts`, `bound`, `uses` or `scheduled`. */
  type: string;
}

/** What changed in the graph (a CHANGED event, or the difference a replacing SNAPSHOT made). */
export interface TopologyChange {
  nodesAdded: TopologyNode[];
  nodesUpdated: TopologyNode[];
  /** Node ids. */
  nodesRemoved: string[];
  edgesAdded: TopologyEdge[];
  edgesRemoved: TopologyEdge[];
}

export interface TopologyEvents extends SubscriptionEvents {
  change: TopologyChange;
  /** The graph is complete (first snapshot). */
  synced: {};
  /** The gateway could not replay a gap; a fresh snapshot follows. */
  resync: { reason?: string };
}

/**
 * The live graph of a namespace (`GET /topology` as a channel). A fresh snapshot (resync, new
 * session) replaces the graph and its difference is emitted as one `change`.
 */
export interface Topology extends Subscription<TopologyEvents> {
  readonly nodes: Map<string, TopologyNode>;
  /** Keyed by from, to and type. */
  readonly edges: Map<string, TopologyEdge>;
  /** Nodes sorted by kind and name. */
  nodeList(): TopologyNode[];
  edgeList(): TopologyEdge[];
  readonly synced: boolean;
  whenSynced(): Promise<void>;
}

export interface AlertsOptions {
  cluster: ClusterRef;
}

/** An alert of an alert rule (SPEC §11, Alert rules). */
export interface Alert {
  rule_id: number;
  rule_name: string;
  cluster_id: number;
  severity: "info" | "warning" | "critical";
  /** `Kind/namespace/name` of what matched, `Node/name`, or `cluster`. */
  target: string;
  detail: string;
  state: "pending" | "firing" | "resolved";
  since: string;
  fired_at?: string;
  resolved_at?: string;
}

export interface AlertTransition {
  event: "PENDING" | "FIRING" | "RESOLVED";
  /** The alert after the transition. */
  alert: Alert;
  /** Its state before; null for a new alert. */
  from: "pending" | "firing" | null;
  seq: number;
}

export interface AlertChange {
  type: "added" | "updated" | "removed";
  alert: Alert;
}

export interface AlertStreamEvents extends SubscriptionEvents {
  /** Each PENDING, FIRING and RESOLVED event. */
  transition: AlertTransition;
  /** Each change of `alerts`: by a transition, or by a replacing snapshot. */
  change: AlertChange;
  synced: {};
  resync: { reason?: string };
}

/** The pending and firing alerts of a cluster; a resolved alert leaves `alerts`. */
export interface AlertStream extends Subscription<AlertStreamEvents> {
  /** Keyed by rule id and target. */
  readonly alerts: Map<string, Alert>;
  /** Firing before pending, then by rule name and target. */
  list(): Alert[];
  readonly synced: boolean;
  whenSynced(): Promise<void>;
}

export interface ExecOptions {
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  tty?: boolean;
  cols?: number;
  rows?: number;
}

export interface ExitInfo {
  /** Exit code, or null when the process did not report one (closed, socket lost, idle timeout). */
  code: number | null;
  /**
   * "exited" (the process ended), "closed" (close()), "client closed", "connection lost" (its socket
   * dropped: exec channels are never resumed), the gateway's reason (idle timeout…), or the error.
   */
  reason: string;
}

/** A process in a container. Exec channels end with their socket (they are never resumed). */
export interface ExecSession {
  /** Resolves once the gateway opened the process; rejects with a GaleError (1004, 1005, …). */
  readonly opened: Promise<void>;
  /** Resolves when the process ended, for whatever reason. */
  readonly exited: Promise<ExitInfo>;
  readonly channel: number | null;
  readonly tty: boolean;
  /** Write stdin (strings are sent as UTF-8). Writes before `opened` are queued. */
  write(data: string | Uint8Array | ArrayBuffer): void;
  /** Close stdin (stream-255 frame). */
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  /** stream is 1 (stdout) or 2 (stderr). Returns an unsubscribe function. */
  onData(listener: (bytes: Uint8Array, stream: number) => void): () => void;
  onExit(listener: (exit: ExitInfo) => void): () => void;
  /** End the process. */
  close(): void;
}

/** The xterm.js (3.x event API, or 4+/5 `onData`/`onResize`) surface attachTerminal uses. */
export interface TerminalLike {
  cols?: number;
  rows?: number;
  write(data: string | Uint8Array): void;
  on?(event: "data" | "resize", listener: (arg: any) => void): void;
  off?(event: "data" | "resize", listener: (arg: any) => void): void;
  onData?(listener: (data: string) => void): { dispose(): void };
  onResize?(listener: (size: { cols: number; rows: number }) => void): { dispose(): void };
}

export interface AttachOptions {
  /** For ticket URLs: the WebSocket constructor; default globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Called when the terminal ends. */
  onExit?: (exit: ExitInfo) => void;
}

export interface TerminalAttachment {
  /** Resolves when the exec or terminal socket ended. */
  readonly closed: Promise<ExitInfo>;
  /** Detach from the terminal and end the exec / close the terminal socket. */
  dispose(): void;
}

/**
 * Pipe an xterm.js terminal to an exec channel, or to a terminal ticket URL
 * (`ws(s)://HOST/ws/terminal/<ticket>`, SPEC §9 "Terminal socket"), both ways, resize included.
 */
export declare function attachTerminal(term: TerminalLike, target: ExecSession | string, options?: AttachOptions): TerminalAttachment;

export interface TransferProgress {
  bytes: number;
  total?: number;
}

export interface UploadOptions {
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string;
  /** Absolute path of the file to write. */
  path: string;
  /** Permission bits; default 0o644. */
  mode?: number;
  onProgress?: (progress: TransferProgress) => void;
  /** Aborting it abandons the upload (its channel is closed; the container keeps a partial file). */
  signal?: AbortSignal;
}

export interface UploadResult {
  path: string;
  size: number;
}

export interface DownloadOptions {
  cluster: ClusterRef;
  namespace: string;
  pod: string;
  container?: string;
  path: string;
  onProgress?: (progress: TransferProgress) => void;
  /** Aborting it abandons the download (its channel is closed). */
  signal?: AbortSignal;
}

export interface DownloadResult {
  bytes: Uint8Array;
  filename: string;
  /** "file" for a regular file, "tar" for a directory's ustar archive. */
  format: "file" | "tar";
  size: number;
  /** The gateway's closing reason (names archive members left out, if any). */
  reason?: string;
}

export interface ClientEvents {
  state: StateChange;
  /** Cluster `status` frames. */
  status: ServerStatusFrame;
  /** Every server `hello` (first connect and each reconnect). */
  hello: ServerHelloFrame;
  /** `error` frames that belong to no request or channel. */
  error: GaleError;
}

export interface KubeGaleClient extends Emitter<ClientEvents> {
  readonly state: ConnectionState;
  /** Session id from the latest server hello. */
  readonly session: string | null;
  /** The latest server hello. */
  readonly hello: ServerHelloFrame | null;
  /** Last status of each cluster by id. */
  readonly clusterStatus: Map<string, ServerStatusFrame>;
  /** Why the client closed for good (4001, 4002 without getToken, …); undefined after close(). */
  readonly closeError?: GaleError;
  /** The socket of the moment (diagnostics). */
  readonly socket: WebSocketLike | null;
  /** Resolves when connected (or resumed); rejects when the client closed for good. */
  ready(): Promise<void>;
  /**
   * One API operation. `path` is relative to /api/v1/kubernetes (the full path is accepted too).
   * Resolves to the envelope when `code` is 0; rejects with GaleError (ConfirmationRequired for
   * 1010) otherwise. Requests made while reconnecting wait for the new socket. When the socket
   * drops, GET requests in flight are sent again on the next socket; others reject with
   * ConnectionLost (-2), since the gateway may or may not have performed them.
   */
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<Envelope<T>>;
  /**
   * The 1010 flow: call; on 1010 ask `onPreview`; when approved, repeat the call with the confirm
   * token (in the query). Operations that need no confirmation just resolve. A declined preview
   * rejects with the ConfirmationRequired error, its `declined` set to true.
   */
  confirmed<T = any>(method: string, path: string, body: unknown, options: ConfirmOptions): Promise<Envelope<T>>;
  watch<T = KubeObject>(options: WatchOptions): Watch<T>;
  events(options: EventsOptions): EventStream;
  logs(options: LogsOptions): LogStream;
  metrics(options: MetricsOptions): MetricsStream;
  /** The live topology graph of a namespace, or of one object in it. */
  topology(options: TopologyOptions): Topology;
  /** The live pending and firing alerts of a cluster. */
  alerts(options: AlertsOptions): AlertStream;
  exec(options: ExecOptions): ExecSession;
  upload(data: Blob | ArrayBuffer | Uint8Array | string, options: UploadOptions): Promise<UploadResult>;
  download(options: DownloadOptions): Promise<DownloadResult>;
  /** Close the socket and every subscription; state becomes "closed". */
  close(): void;
}

/** Open a client. `url`: `ws(s)://host/ws`, or an `http(s)://host` base from which `/ws` is derived. */
export declare function connect(url: string, options?: ConnectOptions): KubeGaleClient;

/** Decode (without verifying) a JWT's payload; null when it is not a JWT. */
export declare function decodeJwt(token: string): JsonObject | null;
/** Encode and decode binary stream frames (SPEC §9). */
export declare function encodeStreamFrame(channel: number, stream: number, payload?: Uint8Array): Uint8Array;
export declare function decodeStreamFrame(data: ArrayBuffer | ArrayBufferView): { channel: number; stream: number; payload: Uint8Array } | null;
