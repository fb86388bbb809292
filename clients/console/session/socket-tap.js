// A WebSocket constructor handed to the client (its `WebSocket` option) that keeps a handle on
// the socket in use. The console shows what was negotiated from it, and the diagnostics on
// `window.kubegale` use it to drop the connection, to make new connections fail for a while
// (as in a network outage), and to record the sequence numbers of channel frames.

export class SocketTap {
  constructor(NativeWebSocket = globalThis.WebSocket) {
    /** The socket most recently opened by the client. */
    this.current = null;
    /** Sockets opened so far. */
    this.opened = 0;
    /** While true, new sockets fail as if the network were down. */
    this.offline = false;
    /** Recorded frames (`{type, channel, seq, event, session}`) while recording, else null. */
    this.frames = null;

    const tap = this;
    this.WebSocket = class TappedWebSocket extends NativeWebSocket {
      constructor(url, protocols) {
        super(url, protocols);
        tap.current = this;
        tap.opened += 1;
        this.addEventListener("message", (event) => tap.record(event.data));
        // Aborting the handshake gives the client exactly what an unreachable gateway gives:
        // an error event, then a close with 1006.
        if (tap.offline) this.close();
      }
    };
  }

  /** The negotiated extensions of the current socket (`permessage-deflate; …`), or "". */
  get extensions() {
    return this.current?.extensions ?? "";
  }

  /**
   * Ends the current socket without the client asking for it. The client sees a close it did
   * not initiate and reconnects, resuming its session; the gateway keeps the session meanwhile.
   */
  drop() {
    const socket = this.current;
    if (!socket || socket.readyState > WebSocket.OPEN) return false;
    socket.close(4000, "dropped by the console's diagnostics");
    return true;
  }

  /** Starts (or restarts) recording channel frames. */
  startRecording() {
    this.frames = [];
  }

  record(data) {
    if (!this.frames || typeof data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const { type, channel, seq, event, session, id } = frame;
    this.frames.push({ type, channel, seq, event, session, id, at: Date.now() });
  }
}
