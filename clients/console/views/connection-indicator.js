// The connection indicator in the top bar: `#connection[data-state]` follows the client's state
// (connecting, connected, reconnecting, resumed, closed) with a label a person can read.

import { byId, setText } from "../core/dom.js";

const LABELS = {
  connecting: "Connecting…",
  connected: "Connected",
  resumed: "Resumed",
  closed: "Disconnected",
};

export class ConnectionIndicator {
  constructor() {
    this.element = byId("connection");
    this.label = byId("connection-label");
  }

  /** `change` is the client's `state` event (or `{state}` for the initial one). */
  show({ state, attempt, code }) {
    this.element.dataset.state = state;
    let text = LABELS[state] ?? state;
    if (state === "reconnecting") text = attempt > 1 ? `Reconnecting (attempt ${attempt})…` : "Reconnecting…";
    setText(this.label, text);
    this.element.title = code ? `${text} — last socket closed with ${code}` : text;
  }
}
