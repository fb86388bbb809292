// Shared pieces of the KubeGale client: errors, the event emitter, binary stream frames (SPEC §9),
// JWT payload decoding, URLs and backoff. No I/O.

// -----------------------------------------------------------------------------------------------
// Errors: one class for every failure, named after its code
// -----------------------------------------------------------------------------------------------

/** Codes the client itself uses; the gateway never sends negative codes. */
export const ClientCodes = Object.freeze({ Timeout: -1, ConnectionLost: -2, Closed: -3, ProtocolError: -4 });

/** Error code → error name (SPEC §10, plus the client-side codes). */
export const ErrorNames = Object.freeze({
  1001: "InvalidArgument",
  1002: "ClusterNotFound",
  1003: "NamespaceNotFound",
  1004: "NotFound",
  1005: "Forbidden",
  1006: "ClusterUnavailable",
  1007: "CreateFailed",
  1008: "UpdateFailed",
  1009: "DeleteFailed",
  1010: "ConfirmationRequired",
  2001: "Unauthenticated",
  2002: "TokenExpired",
  5001: "Internal",
  [-1]: "Timeout",
  [-2]: "ConnectionLost",
  [-3]: "Closed",
  [-4]: "ProtocolError",
});

export class GaleError extends Error {
  constructor(code, msg, data = null) {
    super(msg || ErrorNames[code] || `error ${code}`);
    this.code = code;
    this.msg = this.message;
    this.data = data;
  }

  get name() {
    return ErrorNames[this.code] ?? "GaleError";
  }
}

/** The 1010 answer: nothing was changed; `confirmToken` performs the operation when repeated. */
export class ConfirmationRequired extends GaleError {
  constructor(msg, data) {
    super(1010, msg, data);
    this.preview = data?.preview ?? null;
    this.confirmToken = data?.confirm_token ?? "";
    this.operation = data?.operation ?? "";
    this.expiresIn = data?.expires_in ?? 0;
    this.declined = false;
  }
}

/** The error for a non-zero `code` of a response or error frame. */
export function errorFromFrame(frame) {
  if (frame.code === 1010) return new ConfirmationRequired(frame.msg, frame.data);
  return new GaleError(frame.code, frame.msg, frame.data ?? null);
}

// -----------------------------------------------------------------------------------------------
// A minimal event emitter shared by the client and its subscriptions
// -----------------------------------------------------------------------------------------------

export function reportListenerError(error) {
  if (typeof globalThis.reportError === "function") globalThis.reportError(error);
  else console.error("kubegale: a listener threw", error);
}

export class Emitter {
  #listeners = new Map();

  /** Adds a listener; returns a function that removes it. */
  on(event, listener) {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once(event, listener) {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
  }

  /** Calls every listener of `event`; a throwing listener is reported and does not stop the others. */
  emit(event, payload) {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Binary stream frames, JWT payloads, URLs, backoff
// -----------------------------------------------------------------------------------------------

export const Stream = Object.freeze({ stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 });

const encoder = new TextEncoder();

/** `[channel uint32 BE][stream][payload]` */
export function encodeStreamFrame(channel, stream, payload = new Uint8Array(0)) {
  const frame = new Uint8Array(5 + payload.byteLength);
  new DataView(frame.buffer).setUint32(0, channel);
  frame[4] = stream;
  frame.set(payload, 5);
  return frame;
}

/** Decodes a binary message; null for one that is too short or names channel 0. */
export function decodeStreamFrame(data) {
  const bytes = toBytes(data);
  if (bytes.byteLength < 5) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channel = view.getUint32(0);
  if (channel === 0) return null;
  return { channel, stream: bytes[4], payload: bytes.subarray(5) };
}

/** A Uint8Array view of a string (UTF-8), ArrayBuffer or ArrayBufferView. */
export function toBytes(data) {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError("expected a string, ArrayBuffer or ArrayBufferView");
}

/** The payload of a JWT, decoded without verifying it; null when `token` is not a JWT. */
export function decodeJwt(token) {
  const part = typeof token === "string" ? token.split(".")[1] : undefined;
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === "object" ? payload : null;
  } catch {
    return null;
  }
}

/** ws(s)://host/ws from a ws(s) URL (kept as is) or an http(s) base (`/ws` appended to its path). */
export function socketUrl(input) {
  const base = typeof location !== "undefined" ? location.href : undefined;
  const url = new URL(input, base);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new TypeError(`unsupported URL ${input}`);
  if (!/\/ws$/.test(url.pathname)) url.pathname = url.pathname.replace(/\/+$/, "") + "/ws";
  return url.toString();
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, min·2^attempt)]. */
export function backoffDelay(attempt, minDelay, maxDelay) {
  const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.max(0, attempt - 1));
  return Math.max(minDelay / 4, Math.random() * ceiling);
}
